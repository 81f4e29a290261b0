import Foundation
import Testing
@testable import SpoolStorage

/// The Storage Write bookkeeping of migrations/0005_storage_write_streams.sql: streams per table, offsets per row.
@Suite("Write streams and row offsets")
struct WriteStreamsTests {
    let stream = "projects/p/datasets/d/tables/t/streams/s1"

    @Test("a file of the previous version keeps its rows: they hold no offset, are claimed as before, and can be given offsets")
    func upgradeFromVersionFourKeepsRows() throws {
        let directory = try TestDirectory()
        let path = directory.path("v4.db")
        for migration in Migration.embedded where migration.version <= 4 {
            _ = try rawSQLite(path, migration.sql)
        }
        _ = try rawSQLite(path, "PRAGMA user_version = 4")
        _ = try rawSQLite(path, """
            INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at, attempts)
            VALUES ('t', 'old-1', '{"a":1}', 7, 1000, 1000, 0), ('t', 'old-2', '{"a":2}', 7, 1000, 1000, 2), ('u', 'old-3', '{"a":3}', 7, 1000, 1000, 0);
            """)
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        #expect(try rawSQLite(path, "PRAGMA user_version") == [["5"]])
        #expect(try rawSQLite(path, "SELECT insert_id, stream_offset IS NULL FROM outbox ORDER BY id") == [["old-1", "1"], ["old-2", "1"], ["old-3", "1"]])
        #expect(try outbox.pendingTotals() == (3, 21))
        #expect(try outbox.writeStreams().isEmpty)
        let claimed = try outbox.claim(table: "t", now: nowMillis(), maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(claimed.map(\.insertId) == ["old-1", "old-2"])
        #expect(claimed.map(\.streamOffset) == [nil, nil])
        #expect(try outbox.openWriteStream(table: "t", stream: stream, now: 5))
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: claimed.map(\.id), now: 6) == 0)
        #expect(try outbox.status().tables.map(\.pendingRows) == [2, 1])
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
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: first.map(\.id), now: now) == 0)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: first.map(\.id), now: now) == nil, "rows holding offsets keep them")
        #expect(try outbox.giveOffsets(table: "t", stream: "another", ids: [6], now: now) == nil, "only the current stream gives offsets")

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

    @Test("a batch longer than one transaction gets consecutive offsets; refused part-way, the rows given offsets keep them")
    func offsetsInShortTransactions() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let now = nowMillis()
        for index in 0..<60 { _ = try outbox.append(table: "t", insertId: "i\(index)", payload: payload(index), now: now) }
        #expect(try outbox.openWriteStream(table: "t", stream: stream, now: now))
        let rows = try outbox.claim(table: "t", now: now, maxRows: 60, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: rows.prefix(40).map(\.id), now: now) == 0)
        #expect(try outbox.claim(table: "t", now: now, maxRows: 60, maxBytes: 1 << 20, offsetsFirst: true).map(\.streamOffset) == (0..<40).map { Int64($0) })

        // The last row of the second transaction (16 rows each) holds an offset already: the first one's rows keep theirs.
        let refused = rows[40..<60].map(\.id) + [rows[0].id]
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: refused, now: now) == nil)
        #expect(try outbox.writeStream(table: "t")?.nextOffset == 56)
        #expect(try outbox.writeStream(table: "t")?.heldRows == 56)
    }

    @Test("offsets taken back are given again from there; a retired stream's row count settles which rows it holds")
    func releaseAndClose() throws {
        let directory = try TestDirectory()
        let (outbox, now) = try sixRowsAndAStream(directory)
        defer { outbox.close() }
        let rows = try outbox.claim(table: "t", now: now, maxRows: 6, maxBytes: 1 << 20, offsetsFirst: true)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: rows.map(\.id), now: now) == 0)

        try outbox.releaseOffsets(table: "t", stream: stream, from: 4)
        #expect(try outbox.writeStream(table: "t")?.nextOffset == 4)
        #expect(try outbox.writeStream(table: "t")?.heldRows == 4)
        #expect(try outbox.giveOffsets(table: "t", stream: stream, ids: [rows[5].id], now: now) == 4)

        #expect(try outbox.closeWriteStream(table: "t", stream: "not-current", writtenRows: 3) == 0)
        #expect(try outbox.closeWriteStream(table: "t", stream: stream, writtenRows: 3) == 3)
        #expect(try outbox.writeStreams().isEmpty)
        #expect(try rawSQLite(directory.path("spool.db"), "SELECT insert_id, stream_offset IS NULL FROM outbox ORDER BY id") == [["i3", "1"], ["i4", "1"], ["i5", "1"]])
        #expect(try outbox.pendingTotals().rows == 3)
    }
}
