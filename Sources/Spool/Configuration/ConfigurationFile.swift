import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// The one configuration file format of Spool, shared by applications and `spoolctl`: JSON, with environment
/// overrides. Relative paths are resolved against the file's folder.
///
/// ```json
/// {
///   "spool": { "path": "/var/lib/api/spool.db", "durability": "normal", "fullDurabilityTables": ["orders"],
///              "maxPendingRows": 1000000,
///              "maxPendingBytes": 1000000000, "capPolicy": "reject", "strictSchemas": false },
///   "destination": { "project": "leafloafai", "dataset": "leafloaf_analytics",
///                    "tables": { "search": "leafloaf_analytics.user_search_events" },
///                    "endpoint": "https://bigquery.googleapis.com", "ignoreUnknownValues": false,
///                    "api": "insertAll", "writeEndpoint": "https://bigquerystorage.googleapis.com" },
///   "uploader": { "batchRows": 500, "batchBytes": 5000000, "connectTimeoutSeconds": 10,
///                 "requestTimeoutSeconds": 60, "initialBackoffSeconds": 1, "maxBackoffSeconds": 32,
///                 "maxRowAgeSeconds": null, "credentials": "automatic" },
///   "schemas": { "directory": "schemas", "views": "views" },
///   "provisioning": { "location": "US", "partitionField": "timestamp", "partitionExpirationDays": 400,
///                     "clustering": { "user_search_events": ["user_id"] } }
/// }
/// ```
///
/// Environment overrides (they win over the file): `SPOOL_DB`, `SPOOL_PROJECT`, `SPOOL_DATASET`, `SPOOL_ENDPOINT`,
/// `SPOOL_API` (`insertAll` or `storageWrite`), `SPOOL_WRITE_ENDPOINT`, `SPOOL_CREDENTIALS` (`automatic`, `none` or a key file path), `SPOOL_SCHEMAS`, `SPOOL_VIEWS`.
/// The file itself: `--config`, else `SPOOL_CONFIG`, else `/etc/spool/spool.json`.
public struct SpoolConfigurationFile: Sendable {
    public static let defaultPath = "/etc/spool/spool.json"

    /// Where the file was read from (nil when built from the environment alone).
    public var sourcePath: String?
    public var spoolPath: String?
    public var spool: Spool.Configuration
    public var destination: Destination?
    public var uploader: UploaderConfiguration
    public var schemasDirectory: String?
    /// The folder of views (`schemas.views`): one `<name>.sql` each, with an optional `<name>.json`.
    public var viewsDirectory: String?
    /// The views of `viewsDirectory`, loaded by `load(path:)`; `spoolctl tables create` provisions them.
    public var views: [ViewDefinition] = []
    /// How `spoolctl tables create` lays out new datasets and tables.
    public var provisioning: ProvisioningSettings = ProvisioningSettings()

    public init(spoolPath: String? = nil, spool: Spool.Configuration = .init(), destination: Destination? = nil, uploader: UploaderConfiguration = .init(), schemasDirectory: String? = nil) {
        self.spoolPath = spoolPath
        self.spool = spool
        self.destination = destination
        self.uploader = uploader
        self.schemasDirectory = schemasDirectory
    }

    /// Reads `path` (when given and present), applies the environment, and loads the schema folder.
    ///
    /// - Throws: `SpoolError.invalidConfiguration` naming the file and the offending key.
    public static func load(path: String?, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger? = nil) throws(SpoolError) -> SpoolConfigurationFile {
        var file = SpoolConfigurationFile()
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "no such file"
                throw SpoolError(.invalidConfiguration, "cannot read the configuration file \(path): \(reason)")
            }
            file = try parse(data, path: path)
        }
        try file.applyEnvironment(environment)
        file.spool.logger = logger
        file.uploader.logger = logger
        if let directory = file.schemasDirectory {
            do {
                file.spool.schemas = try SchemaDirectory.load(from: URL(fileURLWithPath: directory))
            } catch {
                throw SpoolError(.invalidConfiguration, "schemas in \(directory): \(error)")
            }
        }
        if let directory = file.viewsDirectory {
            do {
                file.views = try ViewDirectory.load(from: URL(fileURLWithPath: directory))
            } catch {
                throw SpoolError(.invalidConfiguration, "views in \(directory): \(error)")
            }
        }
        return file
    }

    /// The path `spoolctl` reads: `--config`, else `SPOOL_CONFIG`, else the default when it exists.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment["SPOOL_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Every key the file may hold, by section: anything else is refused ("did you mean …").
    static let knownKeys: [String: [String]] = [
        "": ["spool", "destination", "uploader", "schemas", "provisioning"],
        "spool": ["path", "durability", "maxPendingRows", "maxPendingBytes", "capPolicy", "maxDatabaseBytes", "maxRowBytes", "strictSchemas", "fullDurabilityTables"],
        "destination": ["project", "dataset", "tables", "endpoint", "ignoreUnknownValues", "api", "writeEndpoint"],
        "uploader": ["batchRows", "batchBytes", "connectTimeoutSeconds", "requestTimeoutSeconds", "initialBackoffSeconds", "maxBackoffSeconds", "maxRowAgeSeconds", "leaseSeconds", "credentials"],
        "schemas": ["directory", "views"],
        "provisioning": ["location", "partitionField", "partitionExpirationDays", "clustering"],
    ]

    /// Where each key lives, for a key written in the wrong section.
    private static let sectionOfKey: [String: String] = {
        var homes: [String: String] = [:]
        for (section, keys) in knownKeys where !section.isEmpty {
            for key in keys { homes[key] = section }
        }
        return homes
    }()

    /// Decodes the file onto the defaults of `SpoolConfigurationFile()` and checks every value on the way.
    private static func parse(_ data: Data, path: String) throws(SpoolError) -> SpoolConfigurationFile {
        let root = try ConfigurationReader(text: Array(data), file: path)
        func section(_ name: String) throws(SpoolError) -> ConfigurationReader? {
            let reader = try root.section(name)
            try reader?.allowOnly(knownKeys[name] ?? [], elsewhere: sectionOfKey.filter { $0.value != name })
            return reader
        }
        try root.allowOnly(knownKeys[""] ?? [], elsewhere: sectionOfKey)
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ value: String?) -> String? {
            guard let value else { return nil }
            return value.hasPrefix("/") ? value : folder.appendingPathComponent(value).standardizedFileURL.path
        }
        var file = SpoolConfigurationFile()
        file.sourcePath = path
        if let spool = try section("spool") {
            file.spoolPath = resolve(try spool.string("path"))
            if let durability = try spool.choice("durability", Spool.Durability.self) { file.spool.durability = durability }
            file.spool.maxPendingRows = try spool.integer("maxPendingRows", in: 1...Int.max)
            file.spool.maxPendingBytes = try spool.integer("maxPendingBytes", in: 1...Int64.max)
            if let policy = try spool.choice("capPolicy", CapPolicy.self) { file.spool.capPolicy = policy }
            file.spool.maxDatabaseBytes = try spool.integer("maxDatabaseBytes", in: 1...Int64.max)
            if let strict = try spool.bool("strictSchemas") { file.spool.strictSchemas = strict }
            if let maxRowBytes = try spool.integer("maxRowBytes", in: 2...Int.max) { file.spool.maxRowBytes = maxRowBytes }
            // Event tables whose appends are fsynced before they return, whatever `durability` says.
            let fullTables = try spool.strings("fullDurabilityTables") ?? []
            for table in fullTables {
                do throws(SpoolError) {
                    try TableName.validate(table)
                } catch {
                    throw spool.refusal("fullDurabilityTables", "must list event table names: \(error.message)")
                }
            }
            file.spool.fullDurabilityTables = Set(fullTables)
        }
        if let destination = try section("destination") {
            let project = try destination.requiredString("project")
            let dataset = try destination.requiredString("dataset")
            var value = Destination(project: project, dataset: dataset)
            if let tables = try destination.stringMap("tables") { value.tables = tables }
            if let endpoint = try destination.string("endpoint") { value.endpoint = endpoint }
            if let ignore = try destination.bool("ignoreUnknownValues") { value.ignoreUnknownValues = ignore }
            if let api = try destination.choice("api", DeliveryAPI.self) { value.api = api }
            if let endpoint = try destination.string("writeEndpoint") { value.writeEndpoint = endpoint }
            file.destination = value
        }
        if let uploader = try section("uploader") {
            let limits = UploaderConfiguration.Limits.self
            if let rows = try uploader.integer("batchRows", in: limits.batchRows) { file.uploader.batchRows = rows }
            if let bytes = try uploader.integer("batchBytes", in: limits.batchBytes) { file.uploader.batchBytes = bytes }
            if let timeout = try uploader.seconds("connectTimeoutSeconds", in: limits.timeoutSeconds) { file.uploader.connectTimeout = timeout }
            if let timeout = try uploader.seconds("requestTimeoutSeconds", in: limits.timeoutSeconds) { file.uploader.requestTimeout = timeout }
            if let backoff = try uploader.seconds("initialBackoffSeconds", in: limits.backoffSeconds) { file.uploader.initialBackoff = backoff }
            if let backoff = try uploader.seconds("maxBackoffSeconds", in: limits.backoffSeconds) { file.uploader.maxBackoff = backoff }
            file.uploader.maxRowAge = try uploader.seconds("maxRowAgeSeconds", in: limits.maxRowAgeSeconds)
            if let lease = try uploader.seconds("leaseSeconds", in: limits.leaseSeconds) { file.uploader.leaseDuration = lease }
            if let credentials = try uploader.string("credentials") {
                file.uploader.credentials = try credentialsChoice(credentials, resolve: resolve) { rule throws(SpoolError) in
                    throw uploader.refusal("credentials", rule)
                }
            }
        }
        if let schemas = try section("schemas") {
            file.schemasDirectory = resolve(try schemas.string("directory"))
            file.viewsDirectory = resolve(try schemas.string("views"))
        }
        if let provisioning = try section("provisioning") {
            var settings = ProvisioningSettings()
            if let location = try provisioning.string("location") { settings.location = location }
            settings.partitionField = try provisioning.string("partitionField")
            settings.partitionExpirationDays = try provisioning.integer("partitionExpirationDays", in: ProvisioningSettings.expirationDays)
            settings.clustering = try provisioning.stringArrayMap("clustering") ?? [:]
            file.provisioning = settings
        }
        try file.validate(source: "in the configuration file \(path),")
        return file
    }

    private mutating func applyEnvironment(_ environment: [String: String]) throws(SpoolError) {
        func value(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }
        if let path = value("SPOOL_DB") { spoolPath = path }
        if let directory = value("SPOOL_SCHEMAS") { schemasDirectory = directory }
        if let directory = value("SPOOL_VIEWS") { viewsDirectory = directory }
        if let credentials = value("SPOOL_CREDENTIALS") {
            uploader.credentials = try Self.credentialsChoice(credentials, resolve: { $0 }) { rule throws(SpoolError) in
                throw SpoolError(.invalidConfiguration, "SPOOL_CREDENTIALS \(rule)")
            }
        }
        let overrides = [
            ("SPOOL_PROJECT", value("SPOOL_PROJECT")), ("SPOOL_DATASET", value("SPOOL_DATASET")), ("SPOOL_ENDPOINT", value("SPOOL_ENDPOINT")),
            ("SPOOL_API", value("SPOOL_API")), ("SPOOL_WRITE_ENDPOINT", value("SPOOL_WRITE_ENDPOINT")),
        ]
        let named = overrides.filter { $0.1 != nil }.map(\.0)
        guard !named.isEmpty else { return }
        let project = overrides[0].1, dataset = overrides[1].1, endpoint = overrides[2].1, api = overrides[3].1, writeEndpoint = overrides[4].1
        var destination = self.destination ?? Destination(project: project ?? "", dataset: dataset ?? "")
        if let project { destination.project = project }
        if let dataset { destination.dataset = dataset }
        if let endpoint { destination.endpoint = endpoint }
        if let api {
            guard let choice = DeliveryAPI(rawValue: api) else {
                let allowed = DeliveryAPI.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                let hint = Suggestion.closest(to: api, among: DeliveryAPI.allCases.map(\.rawValue)).map { ": did you mean \"\($0)\"?" } ?? ""
                throw SpoolError(.invalidConfiguration, "SPOOL_API must be one of \(allowed) (got \(JSONValue.string(api).serialized()))\(hint)")
            }
            destination.api = choice
        }
        if let writeEndpoint { destination.writeEndpoint = writeEndpoint }
        self.destination = destination
        try validate(source: "with \(named.joined(separator: ", ")) from the environment:")
    }

    /// The checks every value passes whatever its source (file, environment, Swift), with `source` leading the message.
    private func validate(source: String) throws(SpoolError) {
        do throws(SpoolError) {
            try spool.validate()
            try destination?.validate()
            try uploader.validate()
            try provisioning.validate()
        } catch {
            throw SpoolError(.invalidConfiguration, "\(source) \(error.message)")
        }
    }

    /// `automatic`, `none`, or the path of a key file. A word that is neither (a typo of a keyword) is refused
    /// through `refuse` rather than taken for a file name.
    private static func credentialsChoice(
        _ value: String, resolve: (String?) -> String?, refuse: (String) throws(SpoolError) -> Never
    ) throws(SpoolError) -> UploaderConfiguration.CredentialsChoice {
        switch value {
        case "automatic": return .automatic
        case "none": return .none
        default:
            guard value.contains("/") || value.hasSuffix(".json") else {
                let hint = Suggestion.closest(to: value, among: ["automatic", "none"]).map { ": did you mean \"\($0)\"?" } ?? ""
                try refuse("must be \"automatic\", \"none\", or the path of a key file (got \(JSONValue.string(value).serialized()))\(hint)")
            }
            return .file(resolve(value) ?? value)
        }
    }
}
