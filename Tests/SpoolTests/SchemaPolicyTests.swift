import Foundation
import Logging
import Spool
import SpoolTestSupport
import Testing

@Suite("The schema policy")
struct SchemaPolicyTests {
    static let schema = try! TableSchema(jsonData: Data(#"[{"name":"event_id","type":"STRING","mode":"REQUIRED"},{"name":"n","type":"INTEGER"}]"#.utf8))
    static let unknownField = #"{"event_id":"e1","surprise":true}"#

    @Test("unknown fields are accepted when the spool's configuration or the destination says so", arguments: [
        (false, false, false), (true, false, true), (false, true, true), (true, true, true),
    ])
    func oneRuleForUnknownFields(spoolSays: Bool, destinationSays: Bool, accepted: Bool) {
        var configuration = Spool.Configuration()
        configuration.schemas = ["events": Self.schema]
        configuration.ignoreUnknownValues = spoolSays
        let destination = Destination(project: "test-project", dataset: "analytics", ignoreUnknownValues: destinationSays)
        let policy = SchemaPolicy(configuration: configuration, destination: destination)
        #expect(policy.ignoreUnknownValues == accepted)
        #expect((policy.verdict(json: Self.unknownField, table: "events") == nil) == accepted)
        #expect(policy.verdict(json: #"{"event_id":"e1","n":"x"}"#, table: "events")?.reason == "invalid", "other errors stay errors")
        #expect(policy.verdict(json: Self.unknownField, table: "other") == nil, "no schema, no verdict")
    }

    @Test("strict append and the uploader judge a row with an unknown field alike, and insertAll is told the same rule")
    func appendAndUploaderAgree() throws {
        let directory = try TemporaryDirectory()
        let server = try LoopbackHTTPServer { _ in .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#) }
        defer { server.stop() }
        var configuration = Spool.Configuration()
        configuration.schemas = ["events": Self.schema]
        configuration.strictSchemas = true
        configuration.ignoreUnknownValues = true
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        try spool.append(json: Self.unknownField, to: "events")
        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: server.baseURL)
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(10))
        #expect(outcome.report.delivered == 1)
        #expect(try spool.deadLetters().isEmpty)
        let body = try #require(server.requests.first?.bodyText)
        #expect(body.contains(#""ignoreUnknownValues":true"#))

        configuration.ignoreUnknownValues = false
        let strict = try Spool(path: directory.file("strict.db").path, configuration: configuration)
        defer { strict.close() }
        #expect(throws: SpoolError.self) { try strict.append(json: Self.unknownField, to: "events") }
    }

    @Test("the remote schema is fetched once per table; a table that drifted is judged with the remote schema from then on")
    func remoteSchemaIsCheckedOnce() throws {
        var policy = SchemaPolicy(schemas: ["events": Self.schema], ignoreUnknownValues: false)
        let remote = try TableSchema(jsonData: Data(#"[{"name":"event_id","type":"STRING","mode":"REQUIRED"},{"name":"n","type":"STRING"}]"#.utf8))
        var fetches = 0
        let textN = #"{"event_id":"e1","n":"x"}"#
        #expect(policy.verdict(json: textN, table: "events") != nil)
        let first = policy.checkRemote(table: "events", remoteName: "analytics.events") {
            fetches += 1
            return remote
        }
        guard case .differs(let note, let count, _) = first else {
            Issue.record("the schemas differ: \(first)")
            return
        }
        #expect(note.contains("analytics.events") && note.contains("n"))
        #expect(count == 1)
        #expect(policy.verdict(json: textN, table: "events") == nil, "judged with the remote schema")
        let second = policy.checkRemote(table: "events", remoteName: "analytics.events") {
            fetches += 1
            return remote
        }
        #expect(second == .skipped)
        #expect(fetches == 1)
        let noLocal = policy.checkRemote(table: "unknown", remoteName: "analytics.unknown") { Self.schema }
        #expect(noLocal == .skipped, "no local schema")
    }
}

@Suite("Running an uploader")
struct UploaderRunTests {
    @Test("run() on an uploader that is already running throws alreadyRunning, and the running one goes on")
    func runningTwiceIsAlreadyRunning() async throws {
        let directory = try TemporaryDirectory()
        let server = try LoopbackHTTPServer { _ in .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#) }
        defer { server.stop() }
        let capture = LogCapture()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        var configuration = fastUploaderConfiguration()
        configuration.logger = capture.logger()
        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: server.baseURL)
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
        let running = Task { try await uploader.run() }
        // Generous: under a full parallel test run the task that starts the uploader may wait for a pool thread.
        var deadline = ContinuousClock.now + .seconds(60)
        while !capture.records.contains(where: { $0.message == "spool uploader started" }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        await #expect {
            try await uploader.run()
        } throws: { error in
            (error as? SpoolError)?.code == .alreadyRunning
        }
        try spool.append(json: #"{"event_id":"e1"}"#, to: "events")
        uploader.wake()
        deadline = ContinuousClock.now + .seconds(60)
        while try spool.status().pendingRows > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try spool.status().pendingRows == 0, "the uploader's log: \(capture.records.map { "\($0.message) \($0.metadata)" })")
        uploader.triggerGracefulShutdown()
        try await running.value
    }
}
