import CSQLite
import Synchronization

/// Makes commits durable: one fsync of the WAL covers every commit that finished before it began.
///
/// The appender commits with `synchronous=NORMAL` (its frames reach the WAL file, not yet the disk); `GroupCommit`'s
/// durable lane then calls `sync`. The fsync goes through a connection of its own, used for nothing else, so that it
/// never waits for a commit (appends that need no fsync commit while it runs).
final class WALSync: Sendable {
    private let connection: SQLiteConnection
    private let syncs = Atomic<Int>(0)

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    /// fsyncs run so far.
    var syncCount: Int { syncs.load(ordering: .relaxed) }

    func close() {
        connection.close()
    }

    /// fsyncs the WAL: every commit that finished before the call is durable when it returns; throws when the fsync
    /// failed (those commits are in the WAL, but perhaps not on disk).
    func sync() throws(SpoolError) {
        try connection.withDatabase { (database: Database) throws(SpoolError) in
            var rc = spool_sqlite3_sync_file(database.handle, SQLITE_FCNTL_JOURNAL_POINTER)
            if rc == SQLITE_CANTOPEN {
                // The connection has not opened the WAL yet: a read opens it.
                _ = try database.integer(SQL.schemaVersion)
                rc = spool_sqlite3_sync_file(database.handle, SQLITE_FCNTL_JOURNAL_POINTER)
            }
            guard rc == SQLITE_OK else {
                let error = SQLiteResult.error(rc, database: nil, sql: nil)
                throw SpoolError(error.code, "a commit reached the WAL but could not be made durable, the fsync failed: \(error.message)", sqliteCode: error.sqliteCode)
            }
        }
        syncs.add(1, ordering: .relaxed)
    }
}
