import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// The one configuration file format of Spool, shared by applications and `spoolctl`: JSON, with environment
/// overrides. Relative paths are resolved against the file's folder.
///
/// ```json
/// {
///   "spool": { "path": "/var/lib/api/spool.db", "durability": "normal", "maxPendingRows": 1000000,
///              "maxPendingBytes": 1000000000, "capPolicy": "reject", "strictSchemas": false },
///   "destination": { "project": "leafloafai", "dataset": "leafloaf_analytics",
///                    "tables": { "search": "leafloaf_analytics.user_search_events" },
///                    "endpoint": "https://bigquery.googleapis.com", "ignoreUnknownValues": false },
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
/// `SPOOL_CREDENTIALS` (`automatic`, `none` or a key file path), `SPOOL_SCHEMAS`, `SPOOL_VIEWS`.
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

    private static func parse(_ data: Data, path: String) throws(SpoolError) -> SpoolConfigurationFile {
        let decoded: FileFormat
        do {
            decoded = try JSONDecoder().decode(FileFormat.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw SpoolError(.invalidConfiguration, "the configuration file \(path) is not valid JSON: \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw SpoolError(.invalidConfiguration, "the configuration file \(path) lacks \(keyPath(context.codingPath + [key]))")
        } catch let DecodingError.typeMismatch(type, context) {
            throw SpoolError(.invalidConfiguration, "in the configuration file \(path), \(keyPath(context.codingPath)) must be \(typeName(type))")
        } catch let DecodingError.valueNotFound(type, context) {
            throw SpoolError(.invalidConfiguration, "in the configuration file \(path), \(keyPath(context.codingPath)) must be \(typeName(type))")
        } catch {
            throw SpoolError(.invalidConfiguration, "the configuration file \(path) cannot be read: \(error)")
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ value: String?) -> String? {
            guard let value else { return nil }
            return value.hasPrefix("/") ? value : folder.appendingPathComponent(value).standardizedFileURL.path
        }
        var file = SpoolConfigurationFile()
        file.sourcePath = path
        file.spoolPath = resolve(decoded.spool?.path)
        if let spool = decoded.spool {
            if let durability = spool.durability { file.spool.durability = durability }
            file.spool.maxPendingRows = spool.maxPendingRows
            file.spool.maxPendingBytes = spool.maxPendingBytes
            if let policy = spool.capPolicy { file.spool.capPolicy = policy }
            file.spool.maxDatabaseBytes = spool.maxDatabaseBytes
            if let strict = spool.strictSchemas { file.spool.strictSchemas = strict }
            if let maxRowBytes = spool.maxRowBytes { file.spool.maxRowBytes = maxRowBytes }
        }
        file.destination = decoded.destination
        if let uploader = decoded.uploader {
            if let rows = uploader.batchRows { file.uploader.batchRows = rows }
            if let bytes = uploader.batchBytes { file.uploader.batchBytes = bytes }
            if let seconds = uploader.connectTimeoutSeconds { file.uploader.connectTimeout = .seconds(seconds) }
            if let seconds = uploader.requestTimeoutSeconds { file.uploader.requestTimeout = .seconds(seconds) }
            if let seconds = uploader.initialBackoffSeconds { file.uploader.initialBackoff = .seconds(seconds) }
            if let seconds = uploader.maxBackoffSeconds { file.uploader.maxBackoff = .seconds(seconds) }
            file.uploader.maxRowAge = uploader.maxRowAgeSeconds.map { .seconds($0) }
            if let seconds = uploader.leaseSeconds { file.uploader.leaseDuration = .seconds(seconds) }
            if let credentials = uploader.credentials {
                file.uploader.credentials = credentialsChoice(credentials, resolve: resolve)
            }
        }
        file.schemasDirectory = resolve(decoded.schemas?.directory)
        file.viewsDirectory = resolve(decoded.schemas?.views)
        file.provisioning = decoded.provisioning ?? ProvisioningSettings()
        try file.validate(source: path)
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
            uploader.credentials = Self.credentialsChoice(credentials) { $0 }
        }
        let project = value("SPOOL_PROJECT"), dataset = value("SPOOL_DATASET"), endpoint = value("SPOOL_ENDPOINT")
        if project != nil || dataset != nil || endpoint != nil {
            var destination = self.destination ?? Destination(project: project ?? "", dataset: dataset ?? "")
            if let project { destination.project = project }
            if let dataset { destination.dataset = dataset }
            if let endpoint { destination.endpoint = endpoint }
            self.destination = destination
        }
        try validate(source: "the environment")
    }

    private func validate(source: String) throws(SpoolError) {
        do throws(SpoolError) {
            try spool.validate()
            try destination?.validate()
            try provisioning.validate()
        } catch {
            throw SpoolError(.invalidConfiguration, "\(source): \(error.message)")
        }
    }

    private static func credentialsChoice(_ value: String, resolve: (String?) -> String?) -> UploaderConfiguration.CredentialsChoice {
        switch value {
        case "automatic": .automatic
        case "none": .none
        default: .file(resolve(value) ?? value)
        }
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.isEmpty ? "the top level" : "\"" + path.map(\.stringValue).joined(separator: ".") + "\""
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }

    // The file's shape; every key optional except destination's project and dataset.
    private struct FileFormat: Decodable {
        struct SpoolSection: Decodable {
            var path: String?
            var durability: Spool.Durability?
            var maxPendingRows: Int?
            var maxPendingBytes: Int64?
            var capPolicy: CapPolicy?
            var maxDatabaseBytes: Int64?
            var maxRowBytes: Int?
            var strictSchemas: Bool?
        }
        struct UploaderSection: Decodable {
            var batchRows: Int?
            var batchBytes: Int?
            var connectTimeoutSeconds: Int?
            var requestTimeoutSeconds: Int?
            var initialBackoffSeconds: Int?
            var maxBackoffSeconds: Int?
            var maxRowAgeSeconds: Int?
            var leaseSeconds: Int?
            var credentials: String?
        }
        struct SchemasSection: Decodable {
            var directory: String?
            var views: String?
        }
        var spool: SpoolSection?
        var destination: Destination?
        var uploader: UploaderSection?
        var schemas: SchemasSection?
        var provisioning: ProvisioningSettings?
    }
}
