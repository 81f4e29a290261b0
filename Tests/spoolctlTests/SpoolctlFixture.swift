import Foundation
import Spool
import SpoolTestSupport
import Testing

/// One finished run of the spoolctl binary.
struct SpoolctlResult {
    var code: Int32
    var stdout: String
    var stderr: String
}

/// Runs the built spoolctl as a child process, with the environment cleared of every SPOOL_ variable it reads
/// (so the developer's own configuration never leaks into a test).
enum Spoolctl {
    static let isolatedEnvironment: [String: String] = Dictionary(
        uniqueKeysWithValues: (["SPOOL_CONFIG", "GOOGLE_APPLICATION_CREDENTIALS"] + ConfigurationSchema.settings.compactMap(\.environment)).map { ($0, "") }
    )

    static var path: String { BuiltProducts.path("spoolctl") }

    static func run(_ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> SpoolctlResult {
        let result = try ChildProcess.run(path, arguments, environment: isolatedEnvironment.merging(environment) { _, new in new }, stdin: stdin)
        return SpoolctlResult(code: result.code, stdout: result.stdout, stderr: result.stderr)
    }

    static func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess.launch(path, arguments, environment: isolatedEnvironment.merging(environment) { _, new in new })
    }

    /// stdout parsed as one JSON document.
    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}

/// A spool file in a temporary folder, with helpers to fill it the way an API process would.
final class SpoolFixture {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory(prefix: "spoolctl-test")
        path = directory.file("spool.db").path
    }

    deinit {
        directory.remove()
    }

    /// Opens the spool; `now` (Unix ms) fakes the append time.
    func open(now: Int64? = nil) throws -> Spool {
        var configuration = Spool.Configuration()
        if let now { configuration.now = { now } }
        return try Spool(path: path, configuration: configuration)
    }

    /// Appends `count` valid seed rows to `table` and returns their insert ids and total payload bytes.
    @discardableResult
    func append(_ count: Int, to table: String, prefix: String = "e", now: Int64? = nil) throws -> (ids: [String], bytes: Int) {
        let spool = try open(now: now)
        defer { spool.close() }
        var ids: [String] = []
        var bytes = 0
        for index in 0..<count {
            let row = SeedEvents.row(table: table, eventID: "\(prefix)-\(index)", index: index)
            bytes += row.utf8.count
            ids.append(try spool.append(json: row, to: table, insertId: "\(prefix)-\(index)"))
        }
        return (ids, bytes)
    }

    /// Dead-letters rows through the library's own uploader against a stub that rejects event ids starting
    /// with `bad-` as BigQuery would (reason invalid, location response_time_ms). The `bad` rows are valid under
    /// the seed schema (the stub's verdict was wrong, say); the `invalidUnderSchema` ones (`bad-float-N`) are not.
    func makeDeadLetters(table: String = "user_search_events", good: Int, bad: Int, invalidUnderSchema: Int = 0) throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        stub.setRowValidator(dataset: "analytics", table: table) { json in
            json.contains(#""event_id":"bad-"#)
                ? BigQueryStub.RowError(location: "response_time_ms", message: "Cannot convert value to integer (bad value): 12.7")
                : nil
        }
        let spool = try open()
        defer { spool.close() }
        for index in 0..<good {
            try spool.append(json: SeedEvents.row(table: table, eventID: "good-\(index)", index: index), to: table)
        }
        for index in 0..<bad {
            try spool.append(json: SeedEvents.row(table: table, eventID: "bad-\(index)", index: index), to: table, insertId: "bad-\(index)")
        }
        for index in 0..<invalidUnderSchema {
            let row = #"{"event_id":"bad-float-\#(index)","response_time_ms":12.7,"timestamp":"2026-11-26T10:00:00Z"}"#
            try spool.append(json: row, to: table, insertId: "bad-float-\(index)")
        }
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint), configuration: Self.fastUploader())
        let outcome = try uploader.drain(timeout: .seconds(30))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.deadLettered == bad + invalidUnderSchema)
    }

    /// Writes a configuration file and returns its path.
    func writeConfiguration(_ object: [String: Any], name: String = "spool.json") throws -> String {
        let url = directory.file(name)
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]).write(to: url)
        return url.path
    }

    /// Settings that keep drains quick in tests.
    static func fastUploader() -> UploaderConfiguration {
        var configuration = UploaderConfiguration()
        configuration.initialBackoff = .milliseconds(20)
        configuration.maxBackoff = .milliseconds(200)
        configuration.requestTimeout = .seconds(5)
        configuration.connectTimeout = .seconds(2)
        configuration.credentials = .none
        return configuration
    }

    /// Rows still in the outbox, by insert id, read with the sqlite3 CLI (as an operator would).
    func pendingInsertIds() throws -> [String] {
        let result = try ChildProcess.run("/usr/bin/sqlite3", ["-readonly", path, "SELECT insert_id FROM outbox ORDER BY id"])
        #expect(result.code == 0, "sqlite3: \(result.stderr)")
        return result.stdout.split(separator: "\n").map(String.init)
    }
}
