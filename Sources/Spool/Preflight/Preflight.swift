import BigQueryREST
import Foundation
import Logging
import SpoolSchema

/// The set-up checks that find what made the seed's events vanish into logs: missing credentials, an endpoint that
/// does not answer, a dataset never created, tables whose names or columns do not match the code.
///
/// The same checks serve `spoolctl doctor` and the uploader, which runs them once at start-up and logs each
/// failure as a warning. They only read: `datasets.get` and `tables.get`, never a write.
///
/// Blocking (libcurl): run it on a thread of your own, not the cooperative pool.
public struct Preflight: Sendable {
    public var destination: Destination
    public var credentials: any AccessTokenProvider
    /// Local schemas by event table name; a table with one is compared column by column.
    public var schemas: [String: TableSchema]
    /// The event tables to look for, in order.
    public var eventTables: [String]
    public var http: HTTPClient.Configuration
    public var logger: Logger?

    /// - Parameter eventTables: defaults to every table with a schema or a mapping in `destination.tables`.
    public init(
        destination: Destination,
        credentials: any AccessTokenProvider,
        schemas: [String: TableSchema] = [:],
        eventTables: [String]? = nil,
        http: HTTPClient.Configuration = HTTPClient.Configuration(connectTimeout: .seconds(10), totalTimeout: .seconds(30)),
        logger: Logger? = nil
    ) {
        self.destination = destination
        self.credentials = credentials
        self.schemas = schemas
        self.eventTables = eventTables ?? Set(schemas.keys).union(destination.tables.keys).sorted()
        self.http = http
        self.logger = logger
    }

    /// Credentials, endpoint, datasets and tables, in that order. Stops early, with a line saying so, when a
    /// step makes the rest meaningless (no token, no answer). `shouldContinue` is asked between requests.
    public func run(shouldContinue: () -> Bool = { true }) -> [PreflightCheck] {
        let httpClient = HTTPClient(configuration: http)
        var checks: [PreflightCheck] = []

        let source = credentials.sourceDescription
        if let exposure = Self.keyFileExposure(credentials.keyFilePath) {
            checks.append(.fail(.credentials, exposure))
        }
        do {
            let token = try credentials.accessToken(using: httpClient)
            checks.append(.pass(.credentials, "credentials: \(source); \(token == nil ? "no token needed" : "an access token was obtained")"))
        } catch {
            checks.append(.fail(.credentials, "credentials: \(source): \(error.message)"))
            checks.append(.fail(.endpoint, "\(destination.endpoint) not checked: no access token"))
            return checks
        }

        let client = BigQueryClient(
            endpoint: destination.endpoint, project: destination.project, credentials: credentials, http: http,
            compressRequests: false, logger: logger ?? Logger(label: "spool", factory: { _ in SwiftLogNoOpLogHandler() })
        )
        var datasets = [destination.dataset]
        for table in eventTables {
            let dataset = destination.target(for: table).dataset
            if !datasets.contains(dataset) { datasets.append(dataset) }
        }
        var endpointReported = false
        var missingDatasets: Set<String> = []
        for dataset in datasets {
            guard shouldContinue() else { return checks }
            let name = "\(destination.project):\(dataset)"
            do {
                let resource = try client.getDataset(dataset: dataset)
                if !endpointReported {
                    endpointReported = true
                    checks.append(.pass(.endpoint, "\(destination.endpoint) answers"))
                }
                checks.append(.pass(.dataset, subject: dataset, "dataset \(name) exists\(resource.location.map { " (location \($0))" } ?? "")"))
            } catch {
                switch error.kind {
                case .credentials:
                    checks.append(.fail(.credentials, "credentials: \(source): \(error.message)"))
                    return checks
                case .transport:
                    checks.append(.fail(.endpoint, "\(destination.endpoint) does not answer: \(error.message) (datasets and tables not checked)"))
                    return checks
                default:
                    break
                }
                if !endpointReported {
                    endpointReported = true
                    checks.append(.pass(.endpoint, "\(destination.endpoint) answers"))
                }
                if error.isNotFound {
                    missingDatasets.insert(dataset)
                    checks.append(.fail(.dataset, subject: dataset, "dataset \(name) not found: create it with `spoolctl tables create`"))
                } else {
                    checks.append(.fail(.dataset, subject: dataset, "dataset \(name) cannot be read: \(error.failure)"))
                }
            }
        }
        for eventTable in eventTables {
            guard shouldContinue() else { return checks }
            let target = destination.target(for: eventTable)
            if missingDatasets.contains(target.dataset) {
                checks.append(.fail(.table, subject: eventTable, "table \(eventTable) → \(target.dataset).\(target.table) not found: its dataset does not exist"))
            } else {
                let (check, answered) = checkTable(eventTable, client: client)
                checks.append(check)
                // One request that got no answer is enough: the rest would each wait out the same timeout.
                if !answered {
                    checks.append(.fail(.endpoint, "\(destination.endpoint) stopped answering (the remaining tables were not checked)"))
                    return checks
                }
            }
        }
        return checks
    }

    /// One table: it exists, and its columns equal the local schema's (types compared normalized).
    /// `answered` is false when the request got no HTTP answer at all.
    func checkTable(_ eventTable: String, client: BigQueryClient) -> (check: PreflightCheck, answered: Bool) {
        let target = destination.target(for: eventTable)
        let name = "\(eventTable) → \(target.dataset).\(target.table)"
        let resource: TableResource
        do {
            resource = try client.getTable(dataset: target.dataset, table: target.table)
        } catch {
            if error.isNotFound {
                return (.fail(.table, subject: eventTable, "table \(name) not found: create it with `spoolctl tables create`"), true)
            }
            return (.fail(.table, subject: eventTable, "table \(name) cannot be read: \(error.failure)"), error.kind != .transport)
        }
        guard let local = schemas[eventTable] else {
            return (.pass(.table, subject: eventTable, "table \(name) exists (no local schema to compare)"), true)
        }
        let remote: TableSchema
        do {
            remote = try resource.tableSchema()
        } catch {
            return (.fail(.table, subject: eventTable, "table \(name) exists but its schema cannot be read: \(error)"), true)
        }
        let differences = local.differences(from: remote)
        guard differences.isEmpty else {
            let count = differences.count == 1 ? "1 difference" : "\(differences.count) differences"
            return (.fail(.table, subject: eventTable, "table \(name) does not match its schema file (\(count))", details: differences.map(\.explanation)), true)
        }
        return (.pass(.table, subject: eventTable, "table \(name) exists and matches its schema file"), true)
    }

    /// A warning when a key file is readable or writable by anyone but its owner (a key is a password).
    static func keyFileExposure(_ path: String?) -> String? {
        guard let path else { return nil }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o077 != 0 else { return nil }
        let mode = String(info.st_mode & 0o777, radix: 8)
        return "credentials file \(path) is readable by group or others (mode \(mode)): chmod 600 \(path)"
    }
}
