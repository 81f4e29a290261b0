import CSQLite
import Foundation

/// The physical limit: the same INSERT into the same schema through the bare C API, no Swift layers, with the same
/// pragmas (WAL, synchronous=NORMAL, or FULL for `.full`; the pages of the file Spool created, 1 KiB for a bare file)
/// and SQLite's own automatic checkpoints.
func rawInsertLoop(path: String, count: Int, schemaFrom spoolPath: String?, synchronous: String = "NORMAL") throws -> Latencies {
    let loop = try RawInsertLoop(path: path, schemaFrom: spoolPath, synchronous: synchronous)
    return try loop.run(count: count)
}

/// One open connection of the raw loop, so that runs of it can alternate with other measurements on the same file.
final class RawInsertLoop {
    private let db: OpaquePointer
    private let statement: OpaquePointer
    private var next = 0

    init(path: String, schemaFrom spoolPath: String?, synchronous: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open(path, &handle) == SQLITE_OK, let handle else { throw BenchError("cannot open \(path)") }
        db = handle
        func exec(_ sql: String) throws {
            guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else {
                let message = String(cString: sqlite3_errmsg(handle))
                sqlite3_close(handle)
                throw BenchError(message)
            }
        }
        try exec("PRAGMA page_size=1024")  // A .normal spool's page size (a no-op on the file Spool created)
        try exec("PRAGMA journal_mode=WAL")
        try exec("PRAGMA synchronous=\(synchronous)")
        let insert: String
        if spoolPath != nil {
            // The file was created by Spool, so it has the outbox schema: same table, index and trigger.
            insert = "INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
        } else {
            try exec("CREATE TABLE IF NOT EXISTS bare (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)")
            insert = "INSERT INTO bare (payload) VALUES (?3)"
        }
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(handle, insert, -1, &prepared, nil) == SQLITE_OK, let prepared else {
            let message = String(cString: sqlite3_errmsg(handle))
            sqlite3_close(handle)
            throw BenchError(message)
        }
        statement = prepared
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(db)
    }

    /// `count` one-row autocommit INSERTs, each timed.
    func run(count: Int) throws -> Latencies {
        var latencies = Latencies(capacity: count)
        for index in next..<(next + count) {
            let payload = seedEvent(index)
            let insertId = "raw-\(index)"
            let started = monotonicNanoseconds()
            try insert(payload, insertId: insertId)
            latencies.record(monotonicNanoseconds() - started)
        }
        next += count
        return latencies
    }

    /// `count` INSERTs in transactions of `rowsPerTransaction` rows: what a group commit that cost nothing would do.
    /// Returns the seconds taken.
    func run(count: Int, rowsPerTransaction: Int) throws -> Double {
        let started = monotonicNanoseconds()
        for first in stride(from: next, to: next + count, by: rowsPerTransaction) {
            try execute("BEGIN IMMEDIATE")
            for index in first..<min(first + rowsPerTransaction, next + count) { try insert(seedEvent(index), insertId: "raw-\(index)") }
            try execute("COMMIT")
        }
        next += count
        return Double(monotonicNanoseconds() - started) / 1e9
    }

    /// One INSERT of `payload`, in the open transaction if there is one.
    private func insert(_ payload: String, insertId: String) throws {
        spool_sqlite3_bind_text_transient(statement, 1, "user_search_events", -1)
        spool_sqlite3_bind_text_transient(statement, 2, insertId, -1)
        spool_sqlite3_bind_text_transient(statement, 3, payload, -1)
        sqlite3_bind_int64(statement, 4, Int64(payload.utf8.count))
        sqlite3_bind_int64(statement, 5, Int64(Date().timeIntervalSince1970 * 1000))
        defer { sqlite3_reset(statement) }
        guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError(String(cString: sqlite3_errmsg(db))) }
    }

    private func execute(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError(String(cString: sqlite3_errmsg(db))) }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
