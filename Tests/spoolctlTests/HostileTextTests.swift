import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Issue 13, class 3: payloads, BigQuery's messages and locations reach spoolctl's output only escaped.
@Suite("Nothing remote reaches the terminal raw")
struct HostileTextTests {
    /// Cursor movement, a window title, a C1 CSI, a right-to-left override and isolate, DEL and a newline.
    static let hostile = "\u{1B}[31mred\u{1B}]0;owned\u{07} \u{9B}2J \u{202E}evil\u{2066} del\u{7F} one\ntwo\u{2028}"

    /// Scalars a terminal acts on; `allowNewline` for the line breaks of the output itself.
    static func rawControls(in text: String) -> [UInt32] {
        text.unicodeScalars.map(\.value).filter { value in
            (value < 0x20 && value != 0x0A) || (0x7F...0x9F).contains(value) || [0x061C, 0x200E, 0x200F].contains(value)
                || (0x2028...0x202E).contains(value) || (0x2066...0x2069).contains(value)
        }
    }

    /// A spool with one dead letter and one paused table whose words all came from a hostile BigQuery and payload.
    private func hostileSpool() throws -> (SpoolFixture, deadLetterID: String) {
        let fixture = try SpoolFixture()
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint)
        let spool = try fixture.open()
        defer { spool.close() }
        // A table BigQuery refuses with a hostile message: paused, with that message as its last error.
        try spool.append(json: SeedEvents.row(table: "cart_modification_events", eventID: "c-1", index: 1), to: "cart_modification_events")
        stub.enqueue(GoogleErrorReply.reply(status: 403, reason: "accessDenied", message: Self.hostile))
        _ = try SpoolUploader(spool: spool, destination: destination, configuration: SpoolFixture.fastUploader()).drain(timeout: .seconds(20))
        // A row whose payload and verdict are hostile, written through the public API: dead-lettered.
        let payload = JSONValue.object(["event_id": .string("bad-1"), "query": .string(Self.hostile), "timestamp": .string("2026-11-26T10:00:00Z")])
        try spool.append(json: payload.serialized(), to: "user_search_events", insertId: "bad-1")
        stub.setRowValidator(dataset: "analytics", table: "user_search_events") { _ in
            BigQueryStub.RowError(location: Self.hostile, message: Self.hostile)
        }
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: SpoolFixture.fastUploader()).drain(timeout: .seconds(20))
        #expect(outcome.report.deadLettered == 1)
        let id = try #require(try spool.deadLetters(matching: DeadLetterFilter(limit: 1)).first?.id)
        return (fixture, String(id))
    }

    @Test("status, dead-letters list and show print control characters escaped in text, and as \\u escapes in JSON")
    func statusAndDeadLettersEscapeEverything() throws {
        let (fixture, id) = try hostileSpool()
        let runs: [[String]] = [
            ["status"], ["status", "--format", "json"], ["dead-letters", "list"], ["dead-letters", "list", "--format", "json"],
            ["dead-letters", "show", id], ["dead-letters", "show", id, "--format", "json"],
        ]
        for arguments in runs {
            let result = try Spoolctl.run(arguments + ["--db", fixture.path])
            #expect([0, 2].contains(result.code), "\(arguments): \(result.stderr)")
            #expect(Self.rawControls(in: result.stdout).isEmpty, "\(arguments) printed raw controls")
            #expect(Self.rawControls(in: result.stderr).isEmpty, "\(arguments) printed raw controls on stderr")
            #expect(result.stdout.contains(#"\u001b"#), "\(arguments)")
            // The list's text is a table whose columns cut long values; everything else shows the whole text.
            if arguments != ["dead-letters", "list"] {
                #expect(result.stdout.contains(#"\u001b[31mred\u001b]0;owned\u0007 \u009b2J \u202eevil\u2066 del\u007f one\ntwo\u2028"#), "\(arguments)")
            }
        }
        // The JSON still carries the exact text: escaped, not mangled.
        let status = try #require(try Spoolctl.json(try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"]).stdout) as? [String: Any])
        let tables = try #require(status["tables"] as? [[String: Any]])
        let paused = try #require(tables.first { $0["table"] as? String == "cart_modification_events" })
        #expect((paused["lastError"] as? String)?.contains(Self.hostile) == true)
        let shown = try #require(try Spoolctl.json(try Spoolctl.run(["dead-letters", "show", id, "--db", fixture.path, "--format", "json"]).stdout) as? [String: Any])
        #expect(shown["message"] as? String == Self.hostile)
        #expect(shown["location"] as? String == Self.hostile)
        #expect((shown["payload"] as? [String: Any])?["query"] as? String == Self.hostile)
    }

    @Test("schema check escapes a hostile field name in its verdict; schema fetch escapes BigQuery's error text")
    func schemaCommandsEscapeRemoteText() throws {
        let fixture = try SpoolFixture()
        let schema = SeedSchemas.directory.appendingPathComponent("user_search_events.json").path
        let rows = fixture.directory.file("rows.ndjson")
        let row = JSONValue.object([Self.hostile: .string("x")]).serialized()
        try Data((row + "\n").utf8).write(to: rows)
        for format in ["text", "json"] {
            let result = try Spoolctl.run(["schema", "check", "--schema", schema, rows.path, "--format", format])
            #expect(result.code == 2, "\(result.stderr)")
            #expect(Self.rawControls(in: result.stdout).isEmpty, "schema check --format \(format)")
            #expect(result.stdout.contains(#"no such field: \u001b[31mred"#))
        }

        let stub = try BigQueryStub()
        defer { stub.stop() }
        stub.enqueue(GoogleErrorReply.reply(status: 403, reason: "accessDenied", message: Self.hostile))
        let fetch = try Spoolctl.run(
            ["schema", "fetch", "--db", fixture.path, "--table", "user_search_events", "--credentials", "none", "--out", fixture.directory.file("out").path],
            environment: ["SPOOL_PROJECT": "test-project", "SPOOL_DATASET": "analytics", "SPOOL_ENDPOINT": stub.endpoint]
        )
        #expect(fetch.code == 1)
        #expect(fetch.stderr.contains(#"\u001b[31mred"#), "\(fetch.stderr)")
        #expect(Self.rawControls(in: fetch.stderr).isEmpty)
        #expect(Self.rawControls(in: fetch.stdout).isEmpty)
    }
}
