import Foundation

/// An event table's current Storage Write stream, as the spool file records it (migrations/0005_storage_write_streams.sql).
public struct WriteStreamState: Sendable, Equatable, Codable {
    /// The event table.
    public var table: String
    /// `projects/…/datasets/…/tables/…/streams/…`.
    public var stream: String
    /// The offset the next row given a place in the stream gets.
    public var nextOffset: Int64
    /// Unix milliseconds.
    public var createdAt: Int64
    /// When rows were last given offsets in it, Unix milliseconds.
    public var lastUsedAt: Int64
    /// Pending rows holding offsets in it: sent (or about to be), not yet acknowledged.
    public var heldRows: Int
}

/// The statements of the Storage Write bookkeeping, beside the outbox's own (`SQL.swift`).
enum WriteStreamSQL {
    static let streams = """
        SELECT s.table_name, s.stream, s.next_offset, s.created_at, s.last_used_at,
               (SELECT count(*) FROM outbox o WHERE o.table_name = s.table_name AND o.stream_offset IS NOT NULL) AS held_rows
          FROM write_streams s WHERE ?1 IS NULL OR s.table_name = ?1 ORDER BY s.table_name
        """
    /// Rows holding offsets, in offset order (the outbox_by_stream_offset index).
    static let heldRows = """
        SELECT id, insert_id, payload, payload_bytes, created_at, attempts, stream_offset, next_attempt_at FROM outbox
         WHERE table_name = ?1 AND stream_offset IS NOT NULL ORDER BY stream_offset LIMIT ?2
        """
    static let firstHeldDue = """
        SELECT next_attempt_at FROM outbox WHERE table_name = ?1 AND stream_offset IS NOT NULL ORDER BY stream_offset LIMIT 1
        """
    static let open = """
        INSERT INTO write_streams (table_name, stream, next_offset, created_at, last_used_at) VALUES (?1, ?2, 0, ?3, ?3)
        ON CONFLICT (table_name) DO NOTHING
        """
    static let currentOffset = "SELECT next_offset FROM write_streams WHERE table_name = ?1 AND stream = ?2"
    static let giveOffset = "UPDATE outbox SET stream_offset = ?2 WHERE id = ?1 AND table_name = ?3 AND stream_offset IS NULL"
    static let setNextOffset = "UPDATE write_streams SET next_offset = ?3, last_used_at = coalesce(?4, last_used_at) WHERE table_name = ?1 AND stream = ?2"
    static let releaseOffsets = "UPDATE outbox SET stream_offset = NULL WHERE table_name = ?1 AND stream_offset >= ?2"
    /// Rows the stream holds for good: its finalized row count says so.
    static let deleteWritten = "DELETE FROM outbox WHERE table_name = ?1 AND stream_offset < ?2"
    static let close = "DELETE FROM write_streams WHERE table_name = ?1 AND stream = ?2"
}

/// The Storage Write API's exactly-once bookkeeping: which stream each event table writes to, and the offset each
/// pending row holds in it. Every change is one IMMEDIATE transaction, so a crash leaves the rows and their stream
/// consistent: a row holds an offset only while its table has a stream, and offsets below `next_offset` belong to
/// at most one row each.
extension Outbox {
    /// The tables' current streams (one table's with `table`), with how many rows hold offsets in each.
    package func writeStreams(table: String? = nil) throws(SpoolError) -> [WriteStreamState] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [WriteStreamState] in
            try database.readTransaction { (database: Database) throws(SpoolError) -> [WriteStreamState] in
                let statement = try database.statement(WriteStreamSQL.streams)
                defer { statement.reset() }
                let columns = try statement.columns(StreamColumns.self)
                try statement.bind(1, table)
                var streams: [WriteStreamState] = []
                while try statement.step() {
                    streams.append(WriteStreamState(
                        table: statement.text(columns.table), stream: statement.text(columns.stream),
                        nextOffset: statement.int64(columns.nextOffset), createdAt: statement.int64(columns.createdAt),
                        lastUsedAt: statement.int64(columns.lastUsedAt), heldRows: statement.int(columns.heldRows)
                    ))
                }
                return streams
            }
        }
    }

    package func writeStream(table: String) throws(SpoolError) -> WriteStreamState? {
        try writeStreams(table: table).first
    }

    /// The rows of `table` that hold offsets, lowest first, at most `maxRows` and — beyond the first — `maxBytes`:
    /// nil when none does; empty when the first is not due yet. They are sent again at the offsets they hold, before
    /// any other row of the table gets one, whatever their own retry times (they were sent together).
    func claimHeld(table: String, now: Int64, maxRows: Int, maxBytes: Int) throws(SpoolError) -> [OutboxRow]? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [OutboxRow]? in
            let statement = try database.statement(WriteStreamSQL.heldRows)
            defer { statement.reset() }
            let columns = try statement.columns(HeldRowColumns.self)
            try statement.bind(1, table)
            try statement.bind(2, maxRows)
            var rows: [OutboxRow] = []
            var bytes = 0
            while try statement.step() {
                if rows.isEmpty && statement.int64(columns.nextAttemptAt) > now { return [] }
                let size = statement.int(columns.row.payloadBytes)
                if !rows.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                var row = columns.row.row(statement, table: table)
                row.streamOffset = statement.int64(columns.streamOffset)
                rows.append(row)
            }
            return rows.isEmpty ? nil : rows
        }
    }

    /// When the lowest row holding an offset is due; nil when no row of `table` holds one.
    func heldRowsDue(table: String) throws(SpoolError) -> Int64? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int64? in
            let statement = try database.statement(WriteStreamSQL.firstHeldDue)
            defer { statement.reset() }
            let due = try statement.column("next_attempt_at")
            try statement.bind(1, table)
            return try statement.step() ? statement.int64(due) : nil
        }
    }

    /// Records `stream` as `table`'s current stream, starting at offset 0. False when the table has one already.
    package func openWriteStream(table: String, stream: String, now: Int64) throws(SpoolError) -> Bool {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Bool in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Bool in
                let statement = try database.statement(WriteStreamSQL.open)
                try statement.bind(1, table)
                try statement.bind(2, stream)
                try statement.bind(3, now)
                try statement.run()
                return statement.changes == 1
            }
        }
    }

    /// Gives the rows `ids` (in this order) the next offsets of `table`'s current stream `stream` and returns the
    /// first. Nil when `stream` is no longer current, or a row is gone or holds an offset already (another uploader
    /// took the rows over), or the stream's next offset moved meanwhile: then nothing may be sent, and the rows given
    /// offsets before stay held (they are claimed first next time, at those offsets).
    ///
    /// In transactions of `rowsPerTransaction` rows, each starting at the stream's next offset, as `apply` does: an
    /// append waits for one of them (16 rows: 0.09–0.18 ms median on a busy 2-core machine), not for a whole batch's
    /// (500 rows in one transaction: 1.8 ms).
    package func giveOffsets(table: String, stream: String, ids: [Int64], now: Int64) throws(SpoolError) -> Int64? {
        var first: Int64?
        for start in stride(from: 0, to: ids.count, by: Self.rowsPerTransaction) {
            if start > 0 { sched_yield() }
            let chunk = ids[start..<min(start + Self.rowsPerTransaction, ids.count)]
            let expected = first.map { $0 + Int64(start) }
            guard let offset = try giveOffsets(table: table, stream: stream, ids: chunk, expected: expected, now: now) else { return nil }
            first = first ?? offset
        }
        return first
    }

    /// One transaction of `giveOffsets`: the offsets from the stream's next one, which must be `expected` when given.
    private func giveOffsets(table: String, stream: String, ids: ArraySlice<Int64>, expected: Int64?, now: Int64) throws(SpoolError) -> Int64? {
        do throws(SpoolError) {
            return try worker.withDatabase { (database: Database) throws(SpoolError) -> Int64 in
                try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int64 in
                    let current = try database.statement(WriteStreamSQL.currentOffset)
                    defer { current.reset() }
                    let nextOffset = try current.column("next_offset")
                    try current.bind(1, table)
                    try current.bind(2, stream)
                    guard try current.step() else { throw Self.offsetsRefused }
                    let first = current.int64(nextOffset)
                    current.reset()
                    guard expected.map({ $0 == first }) ?? true else { throw Self.offsetsRefused }
                    let give = try database.statement(WriteStreamSQL.giveOffset)
                    for (index, id) in ids.enumerated() {
                        try give.bind(1, id)
                        try give.bind(2, first + Int64(index))
                        try give.bind(3, table)
                        try give.run()
                        guard give.changes == 1 else { throw Self.offsetsRefused }
                    }
                    try setNextOffset(database, table: table, stream: stream, to: first + Int64(ids.count), usedAt: now)
                    return first
                }
            }
        } catch where error.message == Self.offsetsRefused.message {
            return nil
        }
    }

    /// Takes the offsets from `offset` on back from `table`'s rows and makes `offset` the stream's next one: BigQuery
    /// wrote none of them (its answer said so), and the rows get new offsets when they are sent again.
    package func releaseOffsets(table: String, stream: String, from offset: Int64) throws(SpoolError) {
        try worker.withDatabase { (database: Database) throws(SpoolError) in
            try writeTransaction(database) { (database: Database) throws(SpoolError) in
                let release = try database.statement(WriteStreamSQL.releaseOffsets)
                try release.bind(1, table)
                try release.bind(2, offset)
                try release.run()
                try setNextOffset(database, table: table, stream: stream, to: offset, usedAt: nil)
            }
        }
    }

    /// Retires `table`'s stream `stream` (finalized, or gone): with `writtenRows` (its finalized row count), the rows
    /// holding offsets below it are in BigQuery and leave the outbox; every other row's offset is taken back; the
    /// table has no stream until the next is opened. Returns the rows removed as written. Changes nothing when
    /// `stream` is no longer the table's current one.
    package func closeWriteStream(table: String, stream: String, writtenRows: Int64?) throws(SpoolError) -> Int {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                let close = try database.statement(WriteStreamSQL.close)
                try close.bind(1, table)
                try close.bind(2, stream)
                try close.run()
                guard close.changes == 1 else { return 0 }
                var written = 0
                if let writtenRows {
                    let delete = try database.statement(WriteStreamSQL.deleteWritten)
                    try delete.bind(1, table)
                    try delete.bind(2, writtenRows)
                    try delete.run()
                    written = delete.changes
                }
                let release = try database.statement(WriteStreamSQL.releaseOffsets)
                try release.bind(1, table)
                try release.bind(2, Int64.min)
                try release.run()
                return written
            }
        }
    }

    private func setNextOffset(_ database: Database, table: String, stream: String, to offset: Int64, usedAt: Int64?) throws(SpoolError) {
        let statement = try database.statement(WriteStreamSQL.setNextOffset)
        try statement.bind(1, table)
        try statement.bind(2, stream)
        try statement.bind(3, offset)
        try statement.bind(4, usedAt)
        try statement.run()
    }

    /// Rolls `giveOffsets`' transaction back; never leaves this file.
    private static var offsetsRefused: SpoolError {
        SpoolError(.busy, "the rows were given offsets elsewhere, or the stream was replaced")
    }
}

/// `WriteStreamSQL.streams`: one table's stream.
private struct StreamColumns: ResultColumns {
    let table: Column
    let stream: Column
    let nextOffset: Column
    let createdAt: Column
    let lastUsedAt: Column
    let heldRows: Column

    init(_ statement: Statement) throws(SpoolError) {
        table = try statement.column("table_name")
        stream = try statement.column("stream")
        nextOffset = try statement.column("next_offset")
        createdAt = try statement.column("created_at")
        lastUsedAt = try statement.column("last_used_at")
        heldRows = try statement.column("held_rows")
    }
}

/// `WriteStreamSQL.heldRows`: one row holding an offset.
private struct HeldRowColumns: ResultColumns {
    let row: ClaimColumns
    let streamOffset: Column
    let nextAttemptAt: Column

    init(_ statement: Statement) throws(SpoolError) {
        row = try ClaimColumns(statement)
        streamOffset = try statement.column("stream_offset")
        nextAttemptAt = try statement.column("next_attempt_at")
    }
}
