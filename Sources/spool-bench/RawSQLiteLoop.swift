import CSQLite
import Foundation

/// The physical limit: the same INSERT into the same schema through the bare C API, no Swift layers, with the same
/// pragmas (1 KiB pages, WAL, synchronous=NORMAL, or FULL for `.full`) and SQLite's own automatic checkpoints.
func rawInsertLoop(path: String, count: Int, schemaFrom spoolPath: String?, synchronous: String = "NORMAL") throws -> Latencies {
    var db: OpaquePointer?
    guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
    defer { sqlite3_close(db) }
    func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError(String(cString: sqlite3_errmsg(db))) }
    }
    try exec("PRAGMA page_size=1024")  // Spool's page size (a no-op on the file Spool created)
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
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(db, insert, -1, &statement, nil) == SQLITE_OK, let statement else {
        throw BenchError(String(cString: sqlite3_errmsg(db)))
    }
    defer { sqlite3_finalize(statement) }
    var latencies = Latencies(capacity: count)
    for index in 0..<count {
        let payload = seedEvent(index)
        let insertId = "raw-\(index)"
        let started = monotonicNanoseconds()
        spool_sqlite3_bind_text_transient(statement, 1, "user_search_events", -1)
        spool_sqlite3_bind_text_transient(statement, 2, insertId, -1)
        spool_sqlite3_bind_text_transient(statement, 3, payload, -1)
        sqlite3_bind_int64(statement, 4, Int64(payload.utf8.count))
        sqlite3_bind_int64(statement, 5, Int64(Date().timeIntervalSince1970 * 1000))
        guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError(String(cString: sqlite3_errmsg(db))) }
        sqlite3_reset(statement)
        latencies.record(monotonicNanoseconds() - started)
    }
    return latencies
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
