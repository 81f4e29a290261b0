import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("spoolctl schema")
struct SchemaCommandTests {
    @Test("schema fetch downloads a table's schema from the emulator as bq's array of fields; --all fetches the configured tables")
    func fetchFromTheEmulator() throws {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset("fetch")
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events", "cart_modification_events"])
        let fixture = try SpoolFixture()
        let schemas = fixture.directory.file("schemas")
        try FileManager.default.createDirectory(at: schemas, withIntermediateDirectories: true)
        for table in ["user_search_events", "cart_modification_events"] {
            try FileManager.default.copyItem(at: SeedSchemas.directory.appendingPathComponent("\(table).json"), to: schemas.appendingPathComponent("\(table).json"))
        }
        let configuration = try fixture.writeConfiguration([
            "destination": ["project": "test-project", "dataset": dataset, "endpoint": endpoint],
            "schemas": ["directory": "schemas"],
        ])
        let seed = try SeedSchemas.load()

        let out = fixture.directory.file("fetched").path
        let one = try Spoolctl.run(["schema", "fetch", "--config", configuration, "--table", "user_search_events", "--out", out])
        #expect(one.code == 0, "\(one.stderr)")
        #expect(one.stdout == "\(out)/user_search_events.json\n")
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(out)/user_search_events.json"))
        #expect(data.first == UInt8(ascii: "["))
        let fetched = try TableSchema(jsonData: data)
        #expect(fetched.fields.map(\.name) == seed["user_search_events"]?.fields.map(\.name))
        #expect(fetched.fields.map(\.type) == seed["user_search_events"]?.fields.map(\.type))

        let everything = fixture.directory.file("all").path
        let all = try Spoolctl.run(["schema", "fetch", "--config", configuration, "--all", "--out", everything])
        #expect(all.code == 0, "\(all.stderr)")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: everything)) == ["user_search_events.json", "cart_modification_events.json"])

        let missing = try Spoolctl.run(["schema", "fetch", "--config", configuration, "--table", "no_such_table", "--out", out])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("no_such_table"))
        #expect(!FileManager.default.fileExists(atPath: "\(out)/no_such_table.json"))
    }

    private func rowsFile(_ fixture: SpoolFixture, _ lines: [String]) throws -> String {
        let url = fixture.directory.file("rows.ndjson")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url.path
    }

    private let valid = SeedEvents.row(table: "user_search_events", eventID: "e1", index: 1)
    private let badInteger = #"{"event_id":"e2","timestamp":"2026-11-26T10:00:00Z","response_time_ms":12.7}"#

    @Test("schema check prints each row's verdict with location and message, and exits 2 when a row is invalid")
    func checkText() throws {
        let fixture = try SpoolFixture()
        let schema = SeedSchemas.directory.appendingPathComponent("user_search_events.json").path
        let rows = try rowsFile(fixture, [valid, badInteger, "not json", "", #"{"event_id":"e5","categories":["produce"]}"#])

        let result = try Spoolctl.run(["schema", "check", "--schema", schema, rows])
        #expect(result.code == 2, "\(result.stderr)")
        #expect(result.stdout == """
            line 1: valid
            line 2: invalid at response_time_ms: Cannot convert value to integer (bad value): 12.7
            line 3: parseError: invalid JSON at byte 1: unexpected character
            line 5: invalid at categories: Array specified for non-repeated field: categories.
            4 rows: 1 valid, 3 invalid

            """)

        let allValid = try Spoolctl.run(["schema", "check", "--schema", schema, "-"], stdin: Data((valid + "\n" + valid + "\n").utf8))
        #expect(allValid.code == 0)
        #expect(allValid.stdout.hasSuffix("2 rows: 2 valid, 0 invalid\n"))
    }

    @Test("schema check --format json prints one object per input line, in order, with parseError for non-objects")
    func checkJSON() throws {
        let fixture = try SpoolFixture()
        let schema = SeedSchemas.directory.appendingPathComponent("user_search_events.json").path
        let rows = try rowsFile(fixture, [valid, badInteger, "[1,2]", "{oops", valid])

        let result = try Spoolctl.run(["schema", "check", "--schema", schema, "--format", "json", rows])
        #expect(result.code == 2)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 5)
        #expect(lines[0] == #"{"line":1,"valid":true,"errors":[]}"#)
        #expect(lines[1] == #"{"line":2,"valid":false,"errors":[{"reason":"invalid","location":"response_time_ms","message":"Cannot convert value to integer (bad value): 12.7"}]}"#)
        let objects = try lines.map { try #require(try Spoolctl.json($0) as? [String: Any]) }
        #expect(objects.map { $0["line"] as? Int } == [1, 2, 3, 4, 5])
        #expect(objects.map { $0["valid"] as? Bool } == [true, false, false, false, true])
        for index in [2, 3] {
            let error = try #require((objects[index]["errors"] as? [[String: Any]])?.first)
            #expect(error["reason"] as? String == "parseError")
        }
    }

    @Test("schema check with an unreadable schema or rows file is an error (exit 1)")
    func checkErrors() throws {
        let fixture = try SpoolFixture()
        let schema = SeedSchemas.directory.appendingPathComponent("user_search_events.json").path
        let noRows = try Spoolctl.run(["schema", "check", "--schema", schema, fixture.directory.file("none.ndjson").path])
        #expect(noRows.code == 1)
        #expect(noRows.stderr.contains("cannot read the rows file"))
        let notSchema = try rowsFile(fixture, ["{}"])
        let badSchema = try Spoolctl.run(["schema", "check", "--schema", notSchema, notSchema])
        #expect(badSchema.code == 1)
    }
}
