import Foundation
import SpoolStorage

/// Every setting of Spool's configuration, once: the configuration file's keys, the `SPOOL_*` variables and the
/// `spoolctl` options that override them, their values and what they do. Defaults are not written here: each is read
/// from the default instance of its Swift type (`UploaderConfiguration()` …), where it is declared.
///
/// The file reader, the environment and command-line overrides (`SpoolConfigurationFile.load`), the refusal of
/// unknown keys ("did you mean …") and README's configuration table are all driven from `settings`. A new setting is
/// one line here (and its property on the Swift type); a test fails when a stored property of a configuration type
/// has no line here and is not in `codeOnly`.
public enum ConfigurationSchema {
    /// The file's sections, in the order the file is read and documented.
    public static let sections = ["spool", "destination", "uploader", "schemas", "provisioning"]

    public static let settings: [ConfigurationSetting] = [
        .path("spool.path", .file, \.spoolPath, "spoolPath", env: "SPOOL_DB", option: "--db",
              "the spool file the application appends to and `spoolctl` reads"),
        .choice("spool.durability", .spool, \.durability, "durability",
                "`normal` survives a process crash, `full` survives power loss (see Durability)"),
        .stringSet("spool.fullDurabilityTables", .spool, \.fullDurabilityTables, "fullDurabilityTables", rule: eventTableRule,
                   "event tables whose appends are `full` while the rest stay at `spool.durability`"),
        .optionalInteger("spool.maxPendingRows", .spool, \.maxPendingRows, "maxPendingRows", in: 1...Int.max,
                         "the backlog cap in pending rows"),
        .optionalInteger("spool.maxPendingBytes", .spool, \.maxPendingBytes, "maxPendingBytes", in: 1...Int64.max,
                         "the backlog cap in pending payload bytes"),
        .choice("spool.capPolicy", .spool, \.capPolicy, "capPolicy",
                "what `append` does at a cap: `reject` the new row, or `dropOldest` rows to make room"),
        .optionalInteger("spool.maxDatabaseBytes", .spool, \.maxDatabaseBytes, "maxDatabaseBytes", in: 1...Int64.max,
                         "a hard limit on the file's size: appends past it fail with `diskFull`"),
        .integer("spool.maxRowBytes", .spool, \.maxRowBytes, "maxRowBytes", in: 2...Int.max,
                 "the largest row `append` accepts (BigQuery's own limit is 10 MB)"),
        .bool("spool.strictSchemas", .spool, \.strictSchemas, "strictSchemas",
              "`append` validates each row against its table's schema and throws the verdict (development)"),
        .seconds("spool.busyTimeoutSeconds", .spool, \.busyTimeout, "busyTimeout", in: 0...86_400,
                 "how long a statement waits for another connection's lock"),
        .optionalInteger("spool.checkpointBytes", .spool, \.checkpointBytes, "checkpointBytes", in: (64 << 10)...Int64.max,
                         absent: "null (half of `spool.walMaxBytes`; 4,194,304 with `.full` rows)",
                         "WAL bytes written between two runs of the background checkpointer"),
        .integer("spool.walMaxBytes", .spool, \.walMaxBytes, "walMaxBytes", in: (64 << 10)...Int64.max,
                 "the WAL's upper bound (at least `spool.checkpointBytes`): past it, a commit checkpoints itself"),
        .string("spool.metricsLabelPrefix", .spool, \.metricsLabelPrefix, "metricsLabelPrefix", rule: metricNameRule,
                "the start of every metric's label (`spool_appended_total`)"),

        .string("destination.project", .destination, \.project, "project", env: "SPOOL_PROJECT", required: true,
                "the BigQuery project (required with a destination)"),
        .string("destination.dataset", .destination, \.dataset, "dataset", env: "SPOOL_DATASET", required: true,
                "the dataset of every event table not mapped otherwise (required with a destination)"),
        .stringMap("destination.tables", .destination, \.tables, "tables",
                   "event table → `table` or `dataset.table`; unlisted event tables go to `dataset.<event table>`"),
        .string("destination.endpoint", .destination, \.endpoint, "endpoint", env: "SPOOL_ENDPOINT",
                "BigQuery, or an emulator's `http://127.0.0.1:PORT` (no credentials are sent to loopback http)"),
        .choice("destination.api", .destination, \.api, "api", env: "SPOOL_API",
                "`insertAll` (at least once) or `storageWrite` (exactly once; see \"Exactly once: the Storage Write API\")"),
        .string("destination.writeEndpoint", .destination, \.writeEndpoint, "writeEndpoint", env: "SPOOL_WRITE_ENDPOINT",
                "the Storage Write API's gRPC URL: Google's (TLS on 443), or an emulator's `http://127.0.0.1:PORT` (plaintext)"),
        .bool("destination.ignoreUnknownValues", .destination, \.ignoreUnknownValues, "ignoreUnknownValues",
              "fields a schema lacks are dropped instead of refusing the row: sent to insertAll, and applied by the uploader's local checks and `dead-letters requeue`"),

        .optionalInteger("uploader.batchRows", .uploader, \.batchRows, "batchRows", in: UploaderConfiguration.Limits.batchRows,
                         absent: "null (500 for insertAll, 2,000 for storageWrite)",
                         "rows per request: per insertAll request, and per AppendRows request of the Storage Write API (BigQuery's limit: 50,000)"),
        .integer("uploader.batchBytes", .uploader, \.batchBytes, "batchBytes", in: UploaderConfiguration.Limits.batchBytes,
                 "payload bytes per insertAll request (BigQuery's limit: 10 MB)"),
        .seconds("uploader.connectTimeoutSeconds", .uploader, \.connectTimeout, "connectTimeout", in: UploaderConfiguration.Limits.timeoutSeconds,
                 "the TCP and TLS connection's time limit"),
        .seconds("uploader.requestTimeoutSeconds", .uploader, \.requestTimeout, "requestTimeout", in: UploaderConfiguration.Limits.timeoutSeconds,
                 "a whole request's time limit, capped at half of `uploader.leaseSeconds`"),
        .seconds("uploader.initialBackoffSeconds", .uploader, \.initialBackoff, "initialBackoff", in: UploaderConfiguration.Limits.backoffSeconds,
                 "the floor of the full-jitter backoff after a failed request"),
        .seconds("uploader.maxBackoffSeconds", .uploader, \.maxBackoff, "maxBackoff", in: UploaderConfiguration.Limits.backoffSeconds,
                 "the ceiling the backoff doubles up to (at least `uploader.initialBackoffSeconds`)"),
        .seconds("uploader.quotaBackoffSeconds", .uploader, \.quotaBackoff, "quotaBackoff", in: UploaderConfiguration.Limits.intervalSeconds,
                 "the wait after BigQuery's `quotaExceeded`"),
        .seconds("uploader.pauseRecheckSeconds", .uploader, \.pauseRecheckInterval, "pauseRecheckInterval", in: UploaderConfiguration.Limits.intervalSeconds,
                 "how long a paused table (access denied, table not found) waits before it is tried again"),
        .optionalSeconds("uploader.maxRowAgeSeconds", .uploader, \.maxRowAge, "maxRowAge", in: UploaderConfiguration.Limits.maxRowAgeSeconds,
                         "rows older than this are dead-lettered as `expired` instead of sent"),
        .seconds("uploader.pollIntervalSeconds", .uploader, \.pollInterval, "pollInterval", in: UploaderConfiguration.Limits.intervalSeconds,
                 "how often an idle uploader looks for new rows"),
        .seconds("uploader.gaugeIntervalSeconds", .uploader, \.gaugeInterval, "gaugeInterval", in: UploaderConfiguration.Limits.intervalSeconds,
                 "how often the running uploader refreshes the pending rows and age gauges"),
        .seconds("uploader.leaseSeconds", .uploader, \.leaseDuration, "leaseDuration", in: UploaderConfiguration.Limits.leaseSeconds,
                 "the uploader lease's lifetime: a killed uploader's successor waits this long"),
        .seconds("uploader.shutdownDrainTimeoutSeconds", .uploader, \.shutdownDrainTimeout, "shutdownDrainTimeout", in: UploaderConfiguration.Limits.shutdownDrainSeconds,
                 "on graceful shutdown, how long the last drain may take"),
        .bool("uploader.compressRequests", .uploader, \.compressRequests, "compressRequests",
              "gzip request bodies"),
        .integer("uploader.poisonStrikes", .uploader, \.poisonStrikes, "poisonStrikes", in: UploaderConfiguration.Limits.poisonStrikes,
                 "how often a lone row must get HTTP 500 while the rest of its batch was accepted before it is dead-lettered"),
        .credentials("uploader.credentials", \.credentials, "credentials", env: "SPOOL_CREDENTIALS", option: "--credentials",
                     "`automatic` (Google's ADC order), `none`, or the path of a service-account or gcloud key file"),

        .path("schemas.directory", .file, \.schemasDirectory, "schemasDirectory", env: "SPOOL_SCHEMAS", alsoSets: ["Spool.Configuration.schemas"],
              "one `<event table>.json` per table in `bq show --schema` format: local validation before sending"),
        .path("schemas.views", .file, \.viewsDirectory, "viewsDirectory", env: "SPOOL_VIEWS", alsoSets: ["SpoolConfigurationFile.views"],
              "a folder of views, `<name>.sql` and an optional `<name>.json` each, that `tables create` provisions"),

        .string("provisioning.location", .provisioning, \.location, "location",
                "where `tables create` puts a new dataset (`US`, `EU`, `us-central1` …)"),
        .optionalString("provisioning.partitionField", .provisioning, \.partitionField, "partitionField",
                        "a TIMESTAMP (or DATE/DATETIME) column new tables are partitioned on by day"),
        .optionalInteger("provisioning.partitionExpirationDays", .provisioning, \.partitionExpirationDays, "partitionExpirationDays", in: ProvisioningSettings.expirationDays,
                         "days a partition is kept (needs `provisioning.partitionField`)"),
        .stringArrayMap("provisioning.clustering", .provisioning, \.clustering, "clustering",
                        "clustering columns (1 to 4, in order) by event table"),
    ]

    /// Stored properties of the configuration types that no file key sets, and why: set in Swift only.
    package static let codeOnly: [String: String] = [
        "Spool.Configuration.ignoreUnknownValues": "Swift's own switch for a spool opened without a destination (strict `append`); the file's `destination.ignoreUnknownValues` covers the uploader and `dead-letters requeue`",
        "Spool.Configuration.readOnly": "chosen by the program that opens the file (`spoolctl`'s reading commands), not by the set-up",
        "Spool.Configuration.opening": "chosen by the program that opens the file (the application creates, `spoolctl` never does)",
        "Spool.Configuration.logger": "a `Logger` is handed over in code: the library never creates one",
        "Spool.Configuration.now": "a clock, injected by tests",
        "Spool.Configuration.vfs": "a SQLite VFS for the power-loss tests (package access)",
        "UploaderConfiguration.logger": "a `Logger` is handed over in code: the library never creates one",
        "UploaderConfiguration.now": "a clock, injected by tests",
        "SpoolConfigurationFile.sourcePath": "where the file was read from",
    ]

    /// The setting of a file key (`uploader.batchRows`).
    public static func setting(key: String) -> ConfigurationSetting? {
        settings.first { $0.key == key }
    }

    /// The file key that sets a Swift property (`UploaderConfiguration.pollInterval` → `uploader.pollIntervalSeconds`),
    /// for messages about values set in Swift.
    package static func key(of property: String) -> String? {
        settings.first { $0.properties.contains(property) }?.key
    }

    /// The keys of one section, in order.
    static func members(of section: String) -> [String] {
        settings.filter { $0.section == section }.map(\.member)
    }

    /// Which section a key belongs in, for a key written in the wrong one.
    static let sectionOfMember: [String: String] = {
        var homes: [String: String] = [:]
        for setting in settings where homes[setting.member] == nil {
            homes[setting.member] = setting.section
        }
        return homes
    }()

    /// README's configuration table: every key, its variable and option, its values, its default and its meaning.
    package static func markdownTable() -> String {
        var lines = ["| key | environment | spoolctl | values | default | meaning |", "|---|---|---|---|---|---|"]
        for setting in settings {
            let cells = [
                "`\(setting.key)`", setting.environment.map { "`\($0)`" } ?? "", setting.option.map { "`\($0)`" } ?? "",
                setting.type, setting.defaultValue, setting.meaning,
            ]
            lines.append("| " + cells.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    private static let eventTableRule: @Sendable (String) -> String? = { table in
        do throws(SpoolError) {
            try TableName.validate(table)
            return nil
        } catch {
            return "must list event table names: \(error.message)"
        }
    }

    /// Prometheus's metric names: letters, digits and underscores, not starting with a digit.
    private static let metricNameRule: @Sendable (String) -> String? = { prefix in
        let valid = prefix.unicodeScalars.enumerated().allSatisfy { index, scalar in
            scalar == "_" || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || (index > 0 && ("0"..."9").contains(scalar))
        }
        return valid ? nil : "must be letters, digits and underscores, not starting with a digit (a Prometheus metric name)"
    }
}
