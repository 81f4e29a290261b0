import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Dead letters through `Spool`'s public API, as spoolctl and applications use them.
@Suite("Spool's dead letters")
struct DeadLetterTests {
    static let schema = try! TableSchema(jsonData: Data(#"[{"name":"event_id","type":"STRING","mode":"REQUIRED"},{"name":"response_time_ms","type":"INTEGER"}]"#.utf8))

    /// A spool with a schema for `user_search_events`, whose rows `rows` (table, payload) were appended and then
    /// dead-lettered by the uploader's verdict; returns the spool and the dead letters' ids in append order.
    private func deadLettered(_ directory: TemporaryDirectory, _ rows: [(table: String, json: String)]) throws -> (Spool, [Int64]) {
        var configuration = Spool.Configuration()
        configuration.schemas = ["user_search_events": Self.schema]
        configuration.now = { 1_764_150_000_000 }
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        var insertIds: [String] = []
        for (index, row) in rows.enumerated() {
            insertIds.append(try spool.append(json: row.json, to: row.table, insertId: "insert-\(index)"))
        }
        for table in Set(rows.map(\.table)) {
            let claimed = try spool.outbox.claim(table: table, now: .max, maxRows: 100, maxBytes: 1 << 20)
            let letters = claimed.map { BatchResolution.DeadLetter(id: $0.id, reason: DeadLetterReason(reason: "invalid", message: "rejected")) }
            try spool.outbox.apply(BatchResolution(deadLettered: letters), table: table, now: 1_764_150_000_000)
        }
        let byInsertId = Dictionary(uniqueKeysWithValues: try spool.deadLetters().map { ($0.insertId, $0.id) })
        return (spool, try insertIds.map { try #require(byInsertId[$0]) })
    }

    @Test("one dead letter is read by id, with its payload and BigQuery's words; an unknown id is nil")
    func readingOneDeadLetter() throws {
        let directory = try TemporaryDirectory()
        let (spool, ids) = try deadLettered(directory, [("user_search_events", #"{"event_id":"e1","response_time_ms":12}"#)])
        defer { spool.close() }
        let letter = try #require(try spool.deadLetter(id: ids[0]))
        #expect(letter.insertId == "insert-0" && letter.table == "user_search_events")
        #expect(letter.payload == #"{"event_id":"e1","response_time_ms":12}"#)
        #expect(letter.reason == "invalid" && letter.message == "rejected" && letter.attempts == 1)
        #expect(try spool.deadLetter(id: ids[0] + 1000) == nil)
    }

    @Test("requeue moves back what the outbox would deliver and keeps the rest with their verdicts; an id that names none is counted")
    func requeueChecksEachRow() throws {
        let directory = try TemporaryDirectory()
        let (spool, ids) = try deadLettered(directory, [
            ("user_search_events", #"{"event_id":"e1","response_time_ms":12}"#),
            ("user_search_events", #"{"event_id":"e2","response_time_ms":12.7}"#),
            ("cart_modification_events", #"{"cart_id":"c1"}"#),
        ])
        defer { spool.close() }
        let outcome = try spool.requeueDeadLetters(ids: ids + [ids[0], 999_999])
        #expect(outcome.requeued == 2)
        #expect(outcome.kept.map(\.letter.id) == [ids[1]])
        #expect(outcome.kept.first?.verdict == RowError(reason: "invalid", location: "response_time_ms", message: "Cannot convert value to integer (bad value): 12.7"))
        #expect(outcome.unvalidatedTables == ["cart_modification_events"])
        #expect(outcome.missing == 1, "999999 names no dead letter; the repeated id counts once")

        let searches = try spool.outbox.claim(table: "user_search_events", now: 1_764_150_000_000, maxRows: 10, maxBytes: 1 << 20)
        #expect(searches.map(\.insertId) == ["insert-0"], "due now, with its original insert id")
        #expect(try spool.outbox.claim(table: "cart_modification_events", now: .max, maxRows: 10, maxBytes: 1 << 20).map(\.insertId) == ["insert-2"])
        #expect(try spool.deadLetters().map(\.id) == [ids[1]])
    }

    @Test("requeue keeps a row append would refuse, with append's error code as its reason")
    func requeueAppliesAppendsChecks() throws {
        let directory = try TemporaryDirectory()
        let (spool, ids) = try deadLettered(directory, [("cart_modification_events", #"{"cart_id":"\#(String(repeating: "c", count: 300))"}"#)])
        spool.close()
        var configuration = Spool.Configuration()
        configuration.maxRowBytes = 100
        let smaller = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { smaller.close() }
        let outcome = try smaller.requeueDeadLetters(ids: ids)
        #expect(outcome.requeued == 0 && outcome.missing == 0)
        #expect(outcome.kept.map(\.verdict.reason) == ["rowTooLarge"])
        #expect(try smaller.status().pendingRows == 0)
    }

    @Test("purge deletes dead letters for good and says how many it removed")
    func purgeDeletes() throws {
        let directory = try TemporaryDirectory()
        let (spool, ids) = try deadLettered(directory, [
            ("user_search_events", #"{"event_id":"e1"}"#), ("user_search_events", #"{"event_id":"e2"}"#),
        ])
        defer { spool.close() }
        #expect(try spool.purgeDeadLetters(ids: [ids[0], 999_999]) == 1)
        #expect(try spool.deadLetters().map(\.id) == [ids[1]])
        #expect(try spool.status().deadLetterRows == 1)
    }

    @Test("a spool no uploader has drained records no destination")
    func noRecordedDestination() throws {
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        #expect(try spool.recordedDestination() == nil)
    }
}
