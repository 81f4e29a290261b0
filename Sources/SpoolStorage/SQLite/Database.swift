import CSQLite

/// An open SQLite database handle with its statement cache. Not thread-safe: reach it through `SQLiteConnection`.
package final class Database {
    package let handle: OpaquePointer
    private var cache: [String: Statement] = [:]

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    /// A cached prepared statement for `sql`, reset and ready to bind.
    package func statement(_ sql: String) throws(SpoolError) -> Statement {
        if let cached = cache[sql] {
            return cached
        }
        let statement = try Statement(database: handle, sql: sql, persistent: true)
        cache[sql] = statement
        return statement
    }

    /// Runs one or more statements without parameters (migrations, pragmas that answer nothing).
    package func execute(_ sql: String) throws(SpoolError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw SQLiteResult.error(rc, database: handle, sql: sql) }
    }

    /// Runs a statement that answers one text value, such as `PRAGMA journal_mode=WAL`.
    package func text(_ sql: String) throws(SpoolError) -> String? {
        let statement = try Statement(database: handle, sql: sql, persistent: false)
        return try statement.step() ? statement.optionalText(.only) : nil
    }

    /// Runs a statement that answers one integer, such as `PRAGMA user_version`.
    package func integer(_ sql: String) throws(SpoolError) -> Int64 {
        let statement = try Statement(database: handle, sql: sql, persistent: false)
        return try statement.step() ? statement.int64(.only) : 0
    }

    /// Whether a transaction is open on this connection.
    package var isInTransaction: Bool {
        sqlite3_get_autocommit(handle) == 0
    }

    // MARK: Transactions

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so the transaction cannot
    /// fail half-way with SQLITE_BUSY_SNAPSHOT the way a deferred read-then-write transaction does beside an appender.
    /// Inside a transaction already, `body` runs in a savepoint of it instead: when it throws, only its own changes
    /// are rolled back, and the enclosing transaction decides whether the rest commits.
    package func immediateTransaction<R>(_ body: (Database) throws(SpoolError) -> R) throws(SpoolError) -> R {
        if isInTransaction {
            return try atomically(body, begin: SQL.savepoint, end: SQL.releaseSavepoint, undo: [SQL.rollbackToSavepoint, SQL.releaseSavepoint])
        }
        return try atomically(body, begin: SQL.beginImmediate, end: SQL.commit, undo: [SQL.rollback])
    }

    /// `begin`, then `body`, then `end`; when either throws, `undo` (while a transaction is still open).
    private func atomically<R>(
        _ body: (Database) throws(SpoolError) -> R, begin: String, end: String, undo: [String]
    ) throws(SpoolError) -> R {
        try statement(begin).run()
        do {
            let result = try body(self)
            try statement(end).run()
            return result
        } catch {
            for sql in undo where isInTransaction {
                _ = sqlite3_exec(handle, sql, nil, nil, nil)
            }
            throw error
        }
    }

    /// Runs `body` in a deferred read transaction, so that several SELECTs see one snapshot.
    package func readTransaction<R>(_ body: (Database) throws(SpoolError) -> R) throws(SpoolError) -> R {
        try statement(SQL.begin).run()
        defer {
            if isInTransaction {
                _ = sqlite3_exec(handle, SQL.commit, nil, nil, nil)
            }
        }
        return try body(self)
    }

    /// Finalizes cached statements, then closes the handle.
    func close() {
        cache.removeAll()
        sqlite3_close_v2(handle)
    }
}
