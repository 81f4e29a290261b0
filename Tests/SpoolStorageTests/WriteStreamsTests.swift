import Foundation
import Testing
@testable import SpoolStorage

/// The Storage Write bookkeeping of migrations/0005_storage_write_streams.sql and 0006_write_requests.sql: streams per
/// table, the requests pending rows were sent in.
@Suite("Write streams and row offsets")
struct WriteStreamsTests {
    let stream = "projects/p/datasets/d/tables/t/streams/s1"

    @Test("a file of version 4 keeps its rows: they hold no offset, are claimed as before, and can be given offsets")
    func upgradeFromVersionFourKeepsRows() throws {
        let directory = try TestDirectory()
        let path = directory.path("v4.db")
        try spoolFile(path, atVersion: 4)
        _ = try rawSQLite(path, """
            INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at, attempts)
            VALUES ('t', 'old-1', '{"a":1}', 7, 1000, 1000, 0), ('t', 'old-2', '{"a":2}', 7, 1000, 1000, 2), ('u', 'old-3', '{"a":3}', 7, 1000, 1000, 0);
            """)
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        #expect(try rawSQLite(path, "PRAGMA user_version") == [["\(Migrator.latestVersion)"]])
        #expect(try outbox.pendingTotals() == (3, 21))
        #expect(try outbox.writeStreams().isEmpty)
        let claimed = try outbox.claim(table: "t", now: nowMillis(), maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(claimed.map(\.insertId) == ["old-1", "old-2"])
        #expect(claimed.map(\.streamOffset) == [nil, nil])
        #expect(try outbox.openWriteStream(table: "t", stream: stream, now: 5))
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [claimed.map(\.id)], now: 6) == 0)
        #expect(try outbox.status().tables.map(\.pendingRows) == [2, 1])
    }

    @Test("rows holding offsets in a version 5 file are held after the upgrade, each as a request of its own")
    func upgradeFromVersionFiveKeepsOffsets() throws {
        let directory = try TestDirectory()
        let path = directory.path("v5.db")
        try spoolFile(path, atVersion: 5)
        _ = try rawSQLite(path, """
            INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at, attempts, stream_offset)
            VALUES ('t', 'held-7', '{"a":1}', 7, 1000, 1000, 1, 7), ('t', 'held-8', '{"a":2}', 7, 1000, 1000, 1, 8),
                   ('t', 'fresh', '{"a":3}', 7, 1000, 1000, 0, NULL);
            INSERT INTO write_streams (table_name, stream, next_offset, created_at, last_used_at) VALUES ('t', '\(stream)', 9, 1000, 1000);
            """)
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        #expect(try rawSQLite(path, "SELECT count(*) FROM outbox WHERE stream_offset IS NOT NULL") == [["0"]])
        #expect(try rawSQLite(path, "SELECT first_offset, json_array_length(row_ids) FROM write_requests ORDER BY first_offset") == [["7", "1"], ["8", "1"]])
        #expect(try outbox.writeStream(table: "t")?.heldRows == 2)
        let held = try outbox.claim(table: "t", now: nowMillis(), maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(held.map(\.insertId) == ["held-7", "held-8"])
        #expect(held.map(\.streamOffset) == [7, 8])
        #expect(held.map(\.streamRequest) == [7, 8], "two requests: a resend never joins rows first sent apart")
    }

    /// A spool of six rows of table `t` (`i0`…`i5`) and a current stream for it.
    private func sixRowsAndAStream(_ directory: TestDirectory) throws -> (Outbox, Int64) {
        let outbox = try openOutbox(directory.path("spool.db"))
        let now = nowMillis()
        for index in 0..<6 { _ = try outbox.append(table: "t", insertId: "i\(index)", payload: payload(index), now: now) }
        #expect(try outbox.openWriteStream(table: "t", stream: stream, now: now))
        return (outbox, now)
    }

    @Test("rows holding offsets are claimed first, alone and in offset order; never before the first is due")
    func heldRowsAreClaimedFirst() throws {
        let directory = try TestDirectory()
        let (outbox, now) = try sixRowsAndAStream(directory)
        defer { outbox.close() }
        #expect(try outbox.openWriteStream(table: "t", stream: "another", now: now) == false, "one current stream per table")
        let first = try outbox.claim(table: "t", now: now, maxRows: 3, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [first.map(\.id)], now: now) == 0)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [first.map(\.id)], now: now) == nil, "rows holding offsets keep them")
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [[6]], now: now) == nil, "no other row gets offsets while some are held")
        #expect(try outbox.giveOffsets(table: "t", stream: "another", requests: [[6]], now: now) == nil, "only the current stream gives offsets")

        let again = try outbox.claim(table: "t", now: now, maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(again.map(\.insertId) == ["i0", "i1", "i2"])
        #expect(again.map(\.streamOffset) == [0, 1, 2])
        #expect(try outbox.claim(table: "t", now: now, maxRows: 10, maxBytes: 1 << 20).count == 6, "insertAll's claim is unchanged")

        // Backed off: nothing of the table is claimed before the held rows are due.
        try outbox.apply(BatchResolution(retried: again.map { .init(id: $0.id, notBefore: now + 60_000, error: "later") }), table: "t", now: now)
        #expect(try outbox.claim(table: "t", now: now, maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true).isEmpty)
        #expect(try outbox.nextAttempt(table: "t", offsetsFirst: true) == now + 60_000)
        #expect(try outbox.nextAttempt(table: "t") == now)
        #expect(try outbox.claim(table: "t", now: now + 60_000, maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true).map(\.streamOffset) == [0, 1, 2])
    }

    @Test("held rows come back as the requests they were sent in: whole requests only, within the limits, a gone row leaves a gap")
    func heldRowsKeepTheirRequests() throws {
        let directory = try TestDirectory()
        let (outbox, now) = try sixRowsAndAStream(directory)
        defer { outbox.close() }
        let rows = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        let ids = rows.map(\.id)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [Array(ids[0..<2]), Array(ids[2..<5]), [ids[5]]], now: now) == 0)
        #expect(try outbox.writeStream(table: "t")?.nextOffset == 6)
        #expect(try outbox.writeStream(table: "t")?.heldRows == 6)

        let all = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(all.map(\.streamOffset) == [0, 1, 2, 3, 4, 5])
        #expect(all.map(\.streamRequest) == [0, 0, 2, 2, 2, 5])
        // Limits smaller than the batch sent: whole requests only, and always at least the first.
        #expect(try outbox.claim(table: "t", now: now, maxRows: 4, maxBytes: 1 << 20, offsetsFirst: true).map(\.streamOffset) == [0, 1])
        #expect(try outbox.claim(table: "t", now: now, maxRows: 1, maxBytes: 1, offsetsFirst: true).map(\.streamOffset) == [0, 1])

        // A row of the middle request leaves (evicted, purged): the others keep their offsets; nothing new is given any.
        try outbox.apply(BatchResolution(delivered: [ids[0], ids[1], ids[3]]), table: "t", now: now)
        let rest = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(rest.map(\.streamOffset) == [2, 4, 5])
        #expect(rest.map(\.streamRequest) == [2, 2, 5])
        #expect(try outbox.writeStream(table: "t")?.heldRows == 3)

        // Once every held row is gone, their requests are spent: the next rows get offsets after them.
        try outbox.apply(BatchResolution(delivered: rest.map(\.id)), table: "t", now: now)
        #expect(try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true).isEmpty)
        #expect(try outbox.nextAttempt(table: "t", offsetsFirst: true) == nil)
        _ = try outbox.append(table: "t", insertId: "i6", payload: payload(6), now: now)
        let fresh = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(fresh.map(\.insertId) == ["i6"])
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [fresh.map(\.id)], now: now) == 6)
        #expect(try rawSQLite(directory.path("spool.db"), "SELECT first_offset, row_ids FROM write_requests") == [["6", "[\(fresh[0].id)]"]])
    }

    @Test("offsets are given only to pending rows of the table; refused, nothing is recorded")
    func offsetsOnlyForPendingRows() throws {
        let directory = try TestDirectory()
        let (outbox, now) = try sixRowsAndAStream(directory)
        defer { outbox.close() }
        _ = try outbox.append(table: "u", insertId: "u0", payload: payload(9), now: now)
        let rows = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        let other = try outbox.claim(table: "u", now: now, maxRows: 6, maxBytes: 1 << 20)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [[rows[0].id], [other[0].id]], now: now) == nil, "a row of another table")
        try outbox.apply(BatchResolution(delivered: [rows[5].id]), table: "t", now: now)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [rows.map(\.id)], now: now) == nil, "a row no longer pending")
        #expect(try outbox.writeStream(table: "t")?.nextOffset == 0)
        #expect(try outbox.writeStream(table: "t")?.heldRows == 0)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [rows.prefix(5).map(\.id)], now: now) == 0)
    }

    @Test("offsets taken back are given again from there; a retired stream's row count settles which rows it holds")
    func releaseAndClose() throws {
        let directory = try TestDirectory()
        let (outbox, now) = try sixRowsAndAStream(directory)
        defer { outbox.close() }
        let rows = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        let ids = rows.map(\.id)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [Array(ids[0..<4]), Array(ids[4..<6])], now: now) == 0)

        try outbox.releaseOffsets(table: "t", stream: stream, from: 4)
        #expect(try outbox.writeStream(table: "t")?.nextOffset == 4)
        #expect(try outbox.writeStream(table: "t")?.heldRows == 4)
        // The rows given offsets before are held: the released ones wait until those are settled.
        #expect(try outbox.giveOffsets(table: "t", stream: stream, requests: [[ids[5]]], now: now) == nil)

        #expect(try outbox.closeWriteStream(table: "t", stream: "not-current", writtenRows: 3) == 0)
        #expect(try outbox.closeWriteStream(table: "t", stream: stream, writtenRows: 3) == 3)
        #expect(try outbox.writeStreams().isEmpty)
        #expect(try rawSQLite(directory.path("spool.db"), "SELECT count(*) FROM write_requests") == [["0"]])
        #expect(try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true).map(\.insertId) == ["i3", "i4", "i5"])
        #expect(try outbox.pendingTotals().rows == 3)
    }
}
