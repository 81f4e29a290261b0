import BigQueryREST
import Foundation
import Logging
import Synchronization

/// The BigQuery emulator that scripts/test starts (SPOOL_EMULATOR_URL), and private ones a test starts itself.
public enum Emulator {
    public static let project = "test-project"

    /// The suite's emulator. Tests that need it fail (not skip) when it is not running: run them with scripts/test.
    public static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SPOOL_EMULATOR_URL"], !url.isEmpty else {
            throw ChildProcessError(message: "SPOOL_EMULATOR_URL is not set: run the tests with scripts/test, which starts the BigQuery emulator")
        }
        return url
    }

    /// The suite's emulator's Storage Write API (plaintext gRPC), the third line of `scripts/emulator start`.
    public static func grpcURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["SPOOL_EMULATOR_GRPC_URL"], !url.isEmpty else {
            throw ChildProcessError(message: "SPOOL_EMULATOR_GRPC_URL is not set: run the tests with scripts/test, which starts the BigQuery emulator")
        }
        return url
    }

    public static func client(_ endpoint: String) -> BigQueryClient {
        BigQueryClient(endpoint: endpoint, project: project, credentials: NoCredentials(), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    /// A fresh dataset name, so tests sharing one emulator never see each other's tables.
    public static func uniqueDataset(_ prefix: String = "t") -> String {
        "\(prefix)_\(UInt32.random(in: 0...UInt32.max))"
    }

    /// Creates `dataset` and the seed's tables in it from examples/leafloaf/schemas.
    public static func createSeedTables(endpoint: String, dataset: String, tables: [String] = SeedSchemas.tableNames) throws {
        let client = client(endpoint)
        try client.insertDataset(dataset: dataset, location: "US")
        let schemas = try SeedSchemas.load()
        for table in tables {
            guard let schema = schemas[table] else { continue }
            try client.insertTable(dataset: dataset, table: table, schemaFields: schema.jsonData(pretty: false))
        }
    }

    /// Every value of `column` in a table, read back through the query API.
    public static func values(endpoint: String, dataset: String, table: String, column: String = "event_id") throws -> [String] {
        let result = try client(endpoint).query("SELECT \(column) FROM `\(project).\(dataset).\(table)`")
        return result.rows.compactMap { $0.first ?? nil }
    }

    /// A private emulator on its own port, with its data kept on disk so a SIGKILL loses nothing it acknowledged.
    public final class Instance: Sendable {
        public let port: Int
        /// The Storage Write API's port (kept across restarts, like `port`).
        public let grpcPort: Int
        public let pidFile: String
        public let dataDirectory: String
        private let currentPid = Atomic<Int32>(0)
        public var pid: Int32 { currentPid.load(ordering: .relaxed) }
        public var endpoint: String { "http://127.0.0.1:\(port)" }
        public var grpcEndpoint: String { "http://127.0.0.1:\(grpcPort)" }

        public init(directory: TemporaryDirectory) throws {
            pidFile = directory.file("emulator.pid").path
            dataDirectory = directory.file("emulator-data").path
            port = try Self.freePort()
            var grpcPort = try Self.freePort()
            while grpcPort == port { grpcPort = try Self.freePort() }
            self.grpcPort = grpcPort
            try start()
        }

        public func start() throws {
            let script = BuiltProducts.repositoryRoot.appendingPathComponent("scripts/emulator").path
            let result = try ChildProcess.run(script, [
                "start", "--port", "\(port)", "--grpc-port", "\(grpcPort)", "--pidfile", pidFile, "--data-dir", dataDirectory,
            ])
            guard result.code == 0, let line = result.stdout.split(separator: "\n").first(where: { $0.hasPrefix("SPOOL_EMULATOR_PID=") }),
                let pid = Int32(line.dropFirst("SPOOL_EMULATOR_PID=".count))
            else {
                throw ChildProcessError(message: "scripts/emulator start failed (\(result.code)): \(result.stderr.suffix(800))")
            }
            currentPid.store(pid, ordering: .relaxed)
        }

        public func signal(_ signal: Int32) {
            kill(pid, signal)
        }

        /// SIGKILL, and wait until the process is gone.
        public func kill9() {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            for _ in 0..<200 where Foundation.kill(pid, 0) == 0 {
                _ = waitpid(pid, &status, WNOHANG)
                usleep(20_000)
            }
        }

        public func stop() {
            let script = BuiltProducts.repositoryRoot.appendingPathComponent("scripts/emulator").path
            _ = try? ChildProcess.run(script, ["stop", "--pidfile", pidFile])
        }

        deinit {
            stop()
        }

        private static func freePort() throws -> Int {
            let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
            let port = server.port
            server.stop()
            return port
        }
    }
}
