import BigQueryREST
import BigQueryStorageWrite
import Foundation
import Logging
import SpoolSchema
import SpoolTestSupport
import StorageWriteTestSupport
import Testing

/// The gRPC client against the emulator's Write API, rows read back through the REST query API.
///
/// Each test starts an emulator of its own (`Emulator.Instance`, whose `--grpc-port` is the third line of
/// `scripts/emulator start`) instead of the suite's shared one: bqemulator 1.4.0 hung for good when its Write API
/// appended while other suites' REST requests ran at the same time (seen in a full parallel run).
@Suite(.serialized) struct StorageWriteEmulatorTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static let schema = try! TableSchema(jsonData: Data(#"""
        [
          {"name": "id", "type": "INTEGER", "mode": "REQUIRED"},
          {"name": "s", "type": "STRING"},
          {"name": "b", "type": "BYTES"},
          {"name": "f", "type": "FLOAT"},
          {"name": "n", "type": "NUMERIC"},
          {"name": "ok", "type": "BOOLEAN"},
          {"name": "ts", "type": "TIMESTAMP"},
          {"name": "d", "type": "DATE"},
          {"name": "t", "type": "TIME"},
          {"name": "dt", "type": "DATETIME"},
          {"name": "g", "type": "GEOGRAPHY"},
          {"name": "j", "type": "JSON"},
          {"name": "tags", "type": "STRING", "mode": "REPEATED"}
        ]
        """#.utf8))

    /// An emulator of the test's own (stopped when the test ends), with a table of `schema`.
    final class Fixture: Sendable {
        let directory: TemporaryDirectory
        let emulator: Emulator.Instance
        let dataset = Emulator.uniqueDataset("sw")
        let table = "events"
        let service: GRPCWriteStreamService

        init() throws {
            directory = try TemporaryDirectory()
            emulator = try Emulator.Instance(directory: directory)
            let client = Emulator.client(emulator.endpoint)
            try client.insertDataset(dataset: dataset)
            try client.insertTable(dataset: dataset, table: table, schemaFields: StorageWriteEmulatorTests.schema.jsonData(pretty: false))
            service = try GRPCWriteStreamService(
                endpoint: emulator.grpcEndpoint, accessToken: .none,
                configuration: .init(callTimeout: .seconds(30), appendTimeout: .seconds(30)), logger: StorageWriteEmulatorTests.logger)
        }

        func ids() throws -> [String] {
            try Emulator.values(endpoint: emulator.endpoint, dataset: dataset, table: table, column: "id").sorted()
        }

        /// Blocks (the client's close, the emulator's stop): call from a thread of your own.
        func stop() {
            service.close()
            emulator.stop()
        }
    }

    @Test func rowsOfEveryTypeArriveOnce() async throws {
        let fixture = try await onOwnThread { try Fixture() }
        let (service, dataset, table) = (fixture.service, fixture.dataset, fixture.table)
        let rows = [
            #"""
            {"id": 1, "s": "héllo", "b": "aGVsbG8=", "f": 1.5, "n": "123.4500", "ok": true,
             "ts": "2024-05-06T07:08:09.123456Z", "d": "2024-05-06", "t": "7:8:9.5", "dt": "2024-05-06T07:08",
             "g": "POINT(1 2)", "j": {"a": [1, 2]}, "tags": ["x", "y"]}
            """#,
            #"{"id": 2, "s": 12.5, "ok": "false", "ts": 1714979289.5, "d": "1969-12-31", "tags": []}"#,
        ]
        let outcomes = try await onOwnThread {
            let stream = try service.createStream(project: Emulator.project, dataset: dataset, table: table)
            let outcomes = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: rows)])
            _ = try service.finalizeStream(stream)
            return outcomes
        }
        #expect(outcomes == [.appended(offset: 0)])
        let columns = "id, s, TO_BASE64(b), f, n = NUMERIC '123.45', ok, UNIX_MICROS(ts), CAST(d AS STRING), "
            + "t = TIME '07:08:09.5', dt = DATETIME '2024-05-06 07:08:00', ST_ASTEXT(g), TO_JSON_STRING(j), ARRAY_TO_STRING(tags, ',')"
        let result = try Emulator.client(fixture.emulator.endpoint).query(
            "SELECT \(columns) FROM `\(Emulator.project).\(dataset).\(table)` ORDER BY id")
        #expect(result.rows.count == 2)
        #expect(
            result.rows.first == [
                "1", "héllo", "aGVsbG8=", "1.5", "true", "true", "1714979289123456", "2024-05-06", "true", "true",
                "POINT (1 2)", #"{"a":[1,2]}"#, "x,y",
            ])
        // Numbers into STRING arrive as their text; "false" as false; epoch seconds as microseconds; nulls as NULL.
        #expect(
            result.rows.last == ["2", "12.5", nil, nil, nil, "false", "1714979289500000", "1969-12-31", nil, nil, nil, nil, ""])
        try await onOwnThread { fixture.stop() }
    }

    @Test func aResentOffsetIsAlreadyExistsAndTheRowsArriveOnce() async throws {
        let fixture = try await onOwnThread { try Fixture() }
        let (service, dataset, table) = (fixture.service, fixture.dataset, fixture.table)
        let first = [#"{"id": 1}"#, #"{"id": 2}"#]
        let outcomes = try await onOwnThread {
            let stream = try service.createStream(project: Emulator.project, dataset: dataset, table: table)
            var outcomes = try service.append(
                stream: stream, schema: Self.schema,
                requests: [AppendRequest(offset: 0, rows: first), AppendRequest(offset: 0, rows: first)])
            // A new connection (as after a crash) resending the same offset.
            service.closeConnection(stream: stream)
            outcomes += try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: first)])
            outcomes += try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 2, rows: [#"{"id": 3}"#])])
            return outcomes
        }
        #expect(outcomes == [.appended(offset: 0), .alreadyExists, .alreadyExists, .appended(offset: 2)])
        #expect(try fixture.ids() == ["1", "2", "3"])
        try await onOwnThread { fixture.stop() }
    }

    @Test func anOffsetBeyondTheEndIsOutOfRangeAndAppendsNothing() async throws {
        let fixture = try await onOwnThread { try Fixture() }
        let (service, dataset, table) = (fixture.service, fixture.dataset, fixture.table)
        let outcomes = try await onOwnThread {
            let stream = try service.createStream(project: Emulator.project, dataset: dataset, table: table)
            return try service.append(
                stream: stream, schema: Self.schema,
                requests: [AppendRequest(offset: 0, rows: [#"{"id": 1}"#]), AppendRequest(offset: 5, rows: [#"{"id": 6}"#])])
        }
        #expect(outcomes.first == .appended(offset: 0))
        guard outcomes.count == 2, case .outOfRange = outcomes[1] else {
            Issue.record("expected outOfRange, got \(outcomes)")
            return
        }
        #expect(try fixture.ids() == ["1"])
        try await onOwnThread { fixture.stop() }
    }

    @Test func aFinalizedStreamTakesNoMoreRowsAndReportsItsCount() async throws {
        let fixture = try await onOwnThread { try Fixture() }
        let (service, dataset, table) = (fixture.service, fixture.dataset, fixture.table)
        let (count, outcomes) = try await onOwnThread {
            let stream = try service.createStream(project: Emulator.project, dataset: dataset, table: table)
            _ = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: [#"{"id": 1}"#, #"{"id": 2}"#])])
            let count = try service.finalizeStream(stream)
            let outcomes = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 2, rows: [#"{"id": 3}"#])])
            return (count, outcomes)
        }
        #expect(count == 2)
        guard outcomes.count == 1, case .streamUnusable = outcomes[0] else {
            Issue.record("expected streamUnusable, got \(outcomes)")
            return
        }
        #expect(try fixture.ids() == ["1", "2"])
        try await onOwnThread { fixture.stop() }
    }

    @Test func aStreamOnAMissingTableIsNotFound() async throws {
        let fixture = try await onOwnThread { try Fixture() }
        let service = fixture.service
        let result = try await onOwnThread {
            Result { () throws(WriteStreamError) in
                try service.createStream(project: Emulator.project, dataset: Emulator.uniqueDataset("missing"), table: "events")
            }
        }
        guard case .failure(let error) = result else {
            Issue.record("a stream on a missing table was created")
            return
        }
        #expect(error.kind == .notFound, "\(error)")
        try await onOwnThread { fixture.stop() }
    }
}
