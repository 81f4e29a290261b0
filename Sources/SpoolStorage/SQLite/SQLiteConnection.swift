import CSQLite
import Foundation
import Synchronization

/// One SQLite connection, safe to share between threads: every use holds its lock.
///
/// The handle lives behind a `Mutex`, extended result codes are on, `close()` may be called twice, and use after
/// close is a typed error.
package final class SQLiteConnection: Sendable {
    package enum Access: Sendable {
        case readWrite
        case readOnly
    }

    /// How commits reach the disk.
    package enum Synchronous: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    package struct Options: Sendable {
        package var access: Access = .readWrite
        package var synchronous: Synchronous = .normal
        /// How long a statement waits for another connection's lock before failing with `.busy`.
        package var busyTimeout: Duration = .seconds(5)
        /// The page size of a file this connection creates; an existing file keeps its own.
        ///
        /// Small pages because every one-row commit writes whole pages to the WAL (the table's last leaf, the index's,
        /// the running totals): 1 KiB pages write ~3 KiB per append where 4 KiB pages write ~12 KiB, and the
        /// checkpointer then has a quarter of the bytes to sync, which is what slows appends beside it.
        package var pageSize: Int = 1024
        /// A hard limit on the database file's size, in bytes, rounded down to whole pages (`PRAGMA max_page_count`);
        /// nil leaves SQLite's default.
        package var maxDatabaseBytes: Int64?
        /// The WAL file is truncated to this size when it is reset (`PRAGMA journal_size_limit`).
        package var journalSizeLimit: Int64 = 64 << 20
        /// Called after each commit with the number of pages in the WAL; nil disables the hook.
        package var walMonitor: WALMonitor?
        /// A file whose `user_version` is above this was written by a newer Spool: refused before anything is written.
        package var maxSchemaVersion: Int64?
        /// With `.readOnly`: open with SQLite's `immutable=1`, taking no locks and creating no -wal/-shm files, so
        /// that an inspection leaves the folder exactly as it was. Only for a file no connection has open.
        package var immutable = false
        /// The name of a registered SQLite VFS to open the file through; nil for SQLite's default. Tests pass one that
        /// simulates a power cut (Tests/CPowerLossVFS).
        package var vfs: String?

        package init() {}
    }

    private let database: Mutex<Database?>
    package let path: String
    // Kept alive as long as the connection: the WAL hook points at it.
    private let walMonitor: WALMonitor?

    package init(path: String, options: Options) throws(SpoolError) {
        self.path = path
        self.walMonitor = options.walMonitor
        let handle = try Self.open(path: path, options: options)
        do throws(SpoolError) {
            try Self.configure(handle, options: options)
        } catch {
            handle.close()
            if error.code == .newerVersion { throw error }
            throw SpoolError(error.code, "cannot open the spool at \(path): \(error.message)", sqliteCode: error.sqliteCode)
        }
        self.database = Mutex(handle)
    }

    deinit {
        close()
    }

    /// Runs `body` with the open database, holding this connection's lock.
    package func withDatabase<R: Sendable>(_ body: (Database) throws(SpoolError) -> R) throws(SpoolError) -> R {
        try database.withLock { (database: inout Database?) throws(SpoolError) -> R in
            guard let database else {
                throw SpoolError(.closed, "the spool at \(path) is closed")
            }
            return try body(database)
        }
    }

    /// Closes the connection. Safe to call more than once; later uses throw `.closed`.
    package func close() {
        database.withLock { database in
            database?.close()
            database = nil
        }
    }

    // MARK: Opening

    private static func open(path: String, options: Options) throws(SpoolError) -> Database {
        let directory = (path as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw SpoolError(.cannotOpen, "cannot open the spool at \(path): the directory \(directory) does not exist")
        }
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        switch options.access {
        case .readOnly:
            guard FileManager.default.fileExists(atPath: path) else {
                throw SpoolError(.cannotOpen, "cannot open the spool at \(path): no such file")
            }
            flags |= SQLITE_OPEN_READONLY
            if options.immutable { flags |= SQLITE_OPEN_URI }
        case .readWrite:
            try createPrivately(path)
            flags |= SQLITE_OPEN_READWRITE
        }
        var handle: OpaquePointer?
        let name = options.access == .readOnly && options.immutable ? immutableURI(path) : path
        let rc = sqlite3_open_v2(name, &handle, flags, options.vfs)
        guard rc == SQLITE_OK, let handle else {
            let error = SQLiteResult.error(rc, database: handle, sql: nil)
            sqlite3_close_v2(handle)
            throw SpoolError(error.code, "cannot open the spool at \(path): \(error.message)", sqliteCode: error.sqliteCode)
        }
        sqlite3_extended_result_codes(handle, 1)
        return Database(handle: handle)
    }

    /// `file:<path>?immutable=1`, with the characters a URI path cannot hold escaped.
    private static func immutableURI(_ path: String) -> String {
        var escaped = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "%"), UInt8(ascii: "?"), UInt8(ascii: "#"), 0..<0x20, 0x7f...:
                escaped += String(format: "%%%02X", byte)
            default:
                escaped.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return "file:\(escaped)?immutable=1"
    }

    /// Creates the database file with mode 0600 before SQLite opens it; SQLite gives the -wal and -shm files the
    /// same mode as the database file.
    private static func createPrivately(_ path: String) throws(SpoolError) {
        let fd = Foundation.open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd >= 0 {
            Foundation.close(fd)
            return
        }
        let code = errno
        if code == EEXIST { return }
        let reason = String(cString: strerror(code))
        switch code {
        case EACCES, EPERM, EROFS:
            throw SpoolError(.readOnly, "cannot create the spool at \(path): \(reason)")
        case ENOSPC, EDQUOT:
            throw SpoolError(.diskFull, "cannot create the spool at \(path): \(reason)")
        default:
            throw SpoolError(.cannotOpen, "cannot create the spool at \(path): \(reason)")
        }
    }

    private static func configure(_ database: Database, options: Options) throws(SpoolError) {
        let handle = database.handle
        // 64 yielding retries, then roughly one call per 60 µs of waiting (a 50 µs sleep plus the retry).
        let budget = 64 + max(1, Int32(clamping: options.busyTimeout.inMicroseconds / 60))
        spool_sqlite3_install_short_busy_handler(handle, budget)

        // The first read of the file: a non-database or damaged file fails here with a typed error.
        _ = try database.integer(SQL.schemaVersion)
        if let supported = options.maxSchemaVersion {
            let version = try database.integer(SQL.userVersion)
            if version > supported {
                throw Migrator.newerVersion(path: database.pathDescription, found: version, supported: supported)
            }
        }

        switch options.access {
        case .readWrite:
            try database.execute(SQL.setPageSize(options.pageSize))
            let mode = try database.text(SQL.journalModeWAL)
            guard mode?.lowercased() == "wal" else {
                throw SpoolError(.storage, "the spool at \(database.pathDescription) could not switch to WAL mode (journal_mode answered \(mode ?? "nothing"))")
            }
        case .readOnly:
            try database.execute(SQL.queryOnly)
        }
        // Set explicitly: Debian's SQLite defaults WAL connections to FULL.
        try database.execute(SQL.synchronous(options.synchronous))
        try database.execute(SQL.journalSizeLimit(options.journalSizeLimit))
        // Debian builds SQLite with secure_delete on: every page a deletion frees is zeroed and written to the WAL
        // again, ~1.3 of the ~9 frames of a short delivery transaction. FAST still zeroes deleted rows inside the
        // pages a transaction writes anyway; freed pages keep their old bytes until reused (the file is 0600).
        try database.execute(SQL.secureDeleteFast)
        if let bytes = options.maxDatabaseBytes {
            let pageSize = try database.integer(SQL.pageSize)
            _ = try database.integer(SQL.maxPageCount(bytes / pageSize))
        }
        // Checkpoints run in the background checkpointer, never inside an append: no automatic checkpoints.
        sqlite3_wal_autocheckpoint(handle, 0)
        if let monitor = options.walMonitor {
            monitor.install(on: handle)
        }
    }
}

extension Database {
    fileprivate var pathDescription: String {
        sqlite3_db_filename(handle, "main").map { String(cString: $0) } ?? "?"
    }
}

extension Duration {
    /// Durations are converted to whole units clamped to ±`Int64.max / 4` (about 73,000 years in microseconds):
    /// a huge configured duration then neither traps in the conversion nor in `now + duration` afterwards.
    package static let clampedUnits: Int64 = Int64.max / 4

    package var inMicroseconds: Int64 { clamped(unitsPerSecond: 1_000_000) }

    package var inMilliseconds: Int64 { clamped(unitsPerSecond: 1000) }

    package var inNanoseconds: Int64 { clamped(unitsPerSecond: 1_000_000_000) }

    private func clamped(unitsPerSecond: Int64) -> Int64 {
        let (seconds, attoseconds) = components
        let limit = Duration.clampedUnits
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: unitsPerSecond)
        guard !overflow, whole <= limit, whole >= -limit else { return seconds < 0 ? -limit : limit }
        return max(-limit, min(limit, whole + attoseconds / (1_000_000_000_000_000_000 / unitsPerSecond)))
    }
}
