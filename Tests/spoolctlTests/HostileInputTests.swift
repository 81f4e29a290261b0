import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Issue 13, classes 4, 5, 6 and 9 through the real binary: huge numbers, refused configurations, exposed keys and
/// rows BigQuery would refuse.
@Suite("spoolctl with hostile input")
struct HostileInputTests {
    @Test("huge --since, --max-age and --timeout are refused naming the option; a century ago works; nothing traps")
    func hugeArgumentsAreRefusedByName() throws {
        let fixture = try SpoolFixture()
        try fixture.append(2, to: "user_search_events")
        for (arguments, option) in [
            (["status", "--since", "99999999999999999999d"], "--since"),
            (["status", "--since", "9223372036854775807"], "--since"),
            (["status", "--max-age", "9223372036854775807"], "--max-age"),
            (["status", "--max-age", "106751991167d"], "--max-age"),
            (["dead-letters", "list", "--since", "9999999999h9999999999h"], "--since"),
            (["drain", "--timeout", "99999999999999h", "--credentials", "none"], "--timeout"),
        ] {
            let result = try Spoolctl.run(arguments + ["--db", fixture.path])
            #expect(result.code == 1, "\(arguments): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(option), "\(arguments): \(result.stderr)")
        }
        for arguments in [["status", "--since", "36500d", "--max-age", "36500d"], ["dead-letters", "list", "--since", "876000h"]] {
            let result = try Spoolctl.run(arguments + ["--db", fixture.path])
            #expect([0, 2].contains(result.code), "\(arguments): \(result.stderr)")
        }
    }

    @Test("a configuration with batchRows 0, leaseSeconds 2^63-1 or a misspelt key fails every command, doctor included")
    func refusedConfigurationFailsEveryCommand() throws {
        let fixture = try SpoolFixture()
        try fixture.append(1, to: "user_search_events")
        for (uploader, words) in [
            (["batchRows": 0] as [String: Any], #""uploader.batchRows" must be a whole number from 1 to 50,000 (got 0)"#),
            (["leaseSeconds": Int64.max], #""uploader.leaseSeconds" must be a number of seconds from 1 to 86,400 (got 9223372036854775807)"#),
            (["maxRowAgeSeconds": -1], #""uploader.maxRowAgeSeconds" must be a number of seconds from 1 to 3,153,600,000 (got -1)"#),
            (["initialBackoffSeconds": 0.2, "maxBackofSeconds": 1], #""uploader.maxBackofSeconds" is not a known key: did you mean "maxBackoffSeconds"?"#),
        ] {
            let path = try fixture.writeConfiguration([
                "spool": ["path": "spool.db"], "destination": ["project": "test-project", "dataset": "analytics"], "uploader": uploader,
            ])
            for command in [["status"], ["drain"], ["dead-letters", "list"]] {
                let result = try Spoolctl.run(command + ["--config", path])
                #expect(result.code == 1, "\(command) \(uploader): \(result.stdout)")
                #expect(result.stderr.contains(words), "\(command): \(result.stderr)")
            }
            let doctor = try Spoolctl.run(["doctor", "--config", path])
            #expect(doctor.code == 2, "doctor \(uploader): \(doctor.stdout)")
            #expect(doctor.stdout.contains("✗ configuration: in the configuration file \(path), \(words)"), "\(doctor.stdout)")
        }
        // The same file with the key spelt right and a fractional backoff is accepted.
        let good = try fixture.writeConfiguration([
            "spool": ["path": "spool.db"], "destination": ["project": "test-project", "dataset": "analytics"],
            "uploader": ["initialBackoffSeconds": 0.2, "maxBackoffSeconds": 1],
        ])
        let status = try Spoolctl.run(["status", "--config", good])
        #expect(status.code == 0, "\(status.stderr)")
    }

    @Test("doctor fails on a key file others can read, and never prints an endpoint's password")
    func doctorGuardsSecrets() throws {
        let fixture = try SpoolFixture()
        let key = try TestServiceAccountKey()
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: key.publicKey))
        defer { tokens.stop() }
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let keyPath = try key.writeKeyFile(in: fixture.directory, tokenURL: tokens.tokenURL)
        let path = try fixture.writeConfiguration([
            "spool": ["path": "spool.db"], "destination": ["project": "test-project", "dataset": "analytics", "endpoint": stub.endpoint],
            "uploader": ["credentials": keyPath],
        ])
        let warning = "✗ credentials file \(keyPath) is readable by group or others (mode 644): chmod 600 \(keyPath)"
        chmod(keyPath, 0o644)
        let exposed = try Spoolctl.run(["doctor", "--config", path])
        #expect(exposed.code == 2)
        #expect(exposed.stdout.contains(warning), "\(exposed.stdout)")
        #expect(exposed.stdout.contains("an access token was obtained"), "the key itself works: \(exposed.stdout)")
        chmod(keyPath, 0o600)
        let privateKey = try Spoolctl.run(["doctor", "--config", path])
        #expect(!privateKey.stdout.contains("is readable by group or others"), "\(privateKey.stdout)")

        let userInfo = try Spoolctl.run(["doctor", "--config", path], environment: ["SPOOL_ENDPOINT": "http://operator:hunter2@127.0.0.1:\(stub.server.port)"])
        #expect(userInfo.code == 2)
        #expect(userInfo.stdout.contains("must not carry a user name or password"), "\(userInfo.stdout)")
        #expect(!(userInfo.stdout + userInfo.stderr).contains("hunter2"))
    }

    @Test("schema check refuses a row over 10 MB, invalid UTF-8 and a schema nested deeper than 15 levels, in BigQuery's words")
    func schemaCheckJudgesLikeInsertAll() throws {
        let fixture = try SpoolFixture()
        let schema = SeedSchemas.directory.appendingPathComponent("user_search_events.json").path
        var rows = Data(#"{"event_id":"ok","query":"oat milk"}"#.utf8)
        rows.append(contentsOf: Array("\n".utf8))
        rows.append(contentsOf: Array(#"{"event_id":"latin1","query":"caf"#.utf8) + [0xE9] + Array(#""}"#.utf8) + [0x0A])
        rows.append(contentsOf: Array(#"{"event_id":"big","query":""#.utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 10_485_760) + Array(#""}"#.utf8))
        let rowsPath = fixture.directory.file("rows.ndjson")
        try rows.write(to: rowsPath)
        let text = try Spoolctl.run(["schema", "check", "--schema", schema, rowsPath.path])
        #expect(text.code == 2)
        #expect(text.stdout.split(separator: "\n").map(String.init) == [
            "line 1: valid",
            "line 2: parseError: invalid JSON at byte 33: invalid UTF-8",
            "line 3: invalid: Request payload size exceeds the limit: 10485760 bytes.",
            "3 rows: 1 valid, 2 invalid",
        ], "\(text.stdout)")

        // Sixteen nested RECORDs: no BigQuery table can have them, so no row of such a schema is valid.
        var field = #"{"name":"leaf","type":"STRING"}"#
        for level in (1...16).reversed() {
            field = #"{"name":"r\#(level)","type":"RECORD","fields":[\#(field)]}"#
        }
        let deep = fixture.directory.file("deep.json")
        try Data("[\(field)]".utf8).write(to: deep)
        let deepRows = fixture.directory.file("deep.ndjson")
        try Data(#"{"r1":null}"#.utf8).write(to: deepRows)
        let nested = try Spoolctl.run(["schema", "check", "--schema", deep.path, deepRows.path, "--format", "json"])
        #expect(nested.code == 2)
        let verdict = try #require(try Spoolctl.json(nested.stdout.split(separator: "\n").first.map(String.init) ?? "") as? [String: Any])
        let error = try #require((verdict["errors"] as? [[String: Any]])?.first)
        #expect(error["message"] as? String == "Schema nested too deeply for field r1.r2.r3.r4.r5.r6.r7.r8.r9.r10.r11.r12.r13.r14.r15.r16, maximum allowed depth is 15.")
    }
}
