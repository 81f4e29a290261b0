import CSQLite
import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("Spool.append")
struct AppendTests {
    @Test("append commits a row with a fresh UUID insert id, or the caller's")
    func appendReturnsInsertIds() throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let generated = try spool.append(json: #"{"event_id":"e1","user_id":"u1"}"#, to: "user_search_events")
        #expect(UUID(uuidString: generated) != nil, "\(generated) is a UUID")
        let second = try spool.append(json: #"{"event_id":"e2"}"#, to: "user_search_events")
        #expect(second != generated)
        let chosen = try spool.append(json: #"{"event_id":"e3"}"#, to: "user_search_events", insertId: "my-id-3")
        #expect(chosen == "my-id-3")
        let rows = try spool.outbox.claim(table: "user_search_events", now: Int64.max, maxRows: 10, maxBytes: 1 << 20)
        #expect(rows.map(\.insertId) == [generated, second, "my-id-3"])
        #expect(rows.first?.payload == #"{"event_id":"e1","user_id":"u1"}"#)
    }

    @Test("bad input is a typed error and writes nothing", arguments: [
        (#"{"event_id": "e1""#, "user_search_events", SpoolError.Code.invalidJSON),
        ("not json at all", "user_search_events", .invalidJSON),
        (#"["an","array"]"#, "user_search_events", .notAnObject),
        ("42", "user_search_events", .notAnObject),
        (#"{"a":1}"#, "dataset.table", .invalidTableName),
        (#"{"a":1}"#, "", .invalidTableName),
        (#"{"a":1}"#, "drop table; --", .invalidTableName),
    ])
    func badInputIsTypedAndWritesNothing(json: String, table: String, code: SpoolError.Code) throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let error = #expect(throws: SpoolError.self) { try spool.append(json: json, to: table) }
        #expect(error?.code == code)
        #expect(error?.message.contains("event_id") == false, "no payload in the message")
        #expect(try spool.status().pendingRows == 0)
    }

    @Test("a row over the size limit is rowTooLarge; a bad insert id is invalidInsertId")
    func sizeAndInsertIdLimits() throws {
        let directory = try TemporaryDirectory()
        var configuration = Spool.Configuration()
        configuration.maxRowBytes = 1000
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        let big = #"{"blob":""# + String(repeating: "x", count: 1000) + #""}"#
        let tooLarge = #expect(throws: SpoolError.self) { try spool.append(json: big, to: "t") }
        #expect(tooLarge?.code == .rowTooLarge)
        let badId = #expect(throws: SpoolError.self) { try spool.append(json: "{}", to: "t", insertId: String(repeating: "i", count: 129)) }
        #expect(badId?.code == .invalidInsertId)
        #expect(try spool.status().pendingRows == 0)
    }

    @Test("the default row limit is BigQuery's 10 MB")
    func defaultRowLimitIsTenMegabytes() throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let big = #"{"blob":""# + String(repeating: "x", count: 10_000_001) + #""}"#
        let error = #expect(throws: SpoolError.self) { try spool.append(json: big, to: "t") }
        #expect(error?.code == .rowTooLarge)
    }

    struct SearchEvent: Encodable {
        var eventId: String
        var responseTimeMs: Int
        var timestamp: Date
        enum CodingKeys: String, CodingKey {
            case eventId = "event_id", responseTimeMs = "response_time_ms", timestamp
        }
    }

    @Test("Encodable events are stored as JSON objects with ISO-8601 UTC timestamps, not seconds since 2001")
    func encodableEventsUseISOTimestamps() throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let event = SearchEvent(eventId: "e1", responseTimeMs: 12, timestamp: Date(timeIntervalSince1970: 1_764_150_000.25))
        try spool.append(event, to: "user_search_events")
        let row = try #require(try spool.outbox.claim(table: "user_search_events", now: Int64.max, maxRows: 1, maxBytes: 1 << 20).first)
        let object = try #require(try JSONParser.parse(row.payload).objectValue)
        #expect(object["timestamp"] == .string("2025-11-26T09:40:00.250000Z"))
        #expect(object["event_id"] == .string("e1"))
        #expect(object["response_time_ms"] == .number("12"))
    }

    struct JustAString: Encodable {
        func encode(to encoder: Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode("event_id e1")
        }
    }

    @Test("an Encodable that is not an object is notAnObject, and writes nothing")
    func encodableNonObjectsAreRefused() throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let single = #expect(throws: SpoolError.self) { try spool.append(JustAString(), to: "user_search_events") }
        #expect(single?.code == .notAnObject)
        #expect(single?.message.contains("event_id") == false, "no payload in the message")
        let array = #expect(throws: SpoolError.self) { try spool.append([1, 2], to: "user_search_events") }
        #expect(array?.code == .notAnObject)
        let optional = #expect(throws: SpoolError.self) { try spool.append(Optional<SearchEvent>.none, to: "user_search_events") }
        #expect(optional?.code == .notAnObject)
        #expect(try spool.status().pendingRows == 0)
    }

    @Test("strict mode throws the schema verdict with BigQuery's location, and writes nothing")
    func strictModeThrowsTheVerdict() throws {
        let directory = try TemporaryDirectory()
        var configuration = Spool.Configuration()
        configuration.schemas = try SeedSchemas.load()
        configuration.strictSchemas = true
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        let float = #"{"event_id":"e1","timestamp":"2026-11-26T10:00:00Z","response_time_ms":12.7}"#
        let error = #expect(throws: SpoolError.self) { try spool.append(json: float, to: "user_search_events") }
        #expect(error?.code == .schemaViolation)
        #expect(error?.location == "response_time_ms")
        #expect(error?.detail == "Cannot convert value to integer (bad value): 12.7")
        #expect(error?.description.contains("12.7") == false, "the value stays out of the description")
        let unknown = #expect(throws: SpoolError.self) { try spool.append(json: "{}", to: "no_such_table") }
        #expect(unknown?.code == .unknownTable)
        try spool.append(json: #"{"event_id":"e2","timestamp":"2026-11-26T10:00:00Z","response_time_ms":12}"#, to: "user_search_events")
        #expect(try spool.status().pendingRows == 1)
    }

    @Test("appends from many tasks at once all commit, each once")
    func concurrentAppendsFromTasks() async throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let ids = try await withThrowingTaskGroup(of: [String].self) { group in
            for task in 0..<8 {
                group.addTask {
                    try (0..<250).map { index in try spool.append(json: #"{"event_id":"\#(task)-\#(index)"}"#, to: "t") }
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(Set(ids).count == 2000)
        #expect(try spool.status().pendingRows == 2000)
    }
}
