import Foundation

/// How `Spool(path:)` treats the file it opens.
///
/// Opened for writing, the operator openings (`existingOnly`, `existingAndMigrate`) refuse a user other than the
/// file's owner (root aside) with `.readOnly`: -wal and -shm files that user created would lock the application out.
public enum SpoolOpening: Sendable {
    /// The application's own spool: a missing file is created, an older one migrated.
    case createOrMigrate
    /// Operator tools: the file must already be a spool at this build's schema version. Nothing is created,
    /// converted or migrated; an empty file, another SQLite database or a non-database is refused untouched.
    case existingOnly
    /// `spoolctl migrate`: the file must already be a spool; an older one is migrated to this build's version.
    case existingAndMigrate
}

/// Tells a spool from any other file without changing a byte of it, and opens files for a look without leaving
/// -wal/-shm files behind that the spool's owner could not write.
package enum SpoolFile {
    private static let sqliteHeader = Array("SQLite format 3\u{0}".utf8)

    /// The schema version of the spool at `path`. Throws `.cannotOpen` (no such file), `.notASpool` (empty, or a
    /// SQLite database without the spool's tables), `.notADatabase`, `.newerVersion`, or a permission error.
    package static func schemaVersion(of path: String) throws(SpoolError) -> Int64 {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
            throw SpoolError(.cannotOpen, "no spool file at \(path)")
        }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let hasWAL = FileManager.default.fileExists(atPath: path + "-wal")
        if size == 0 && !hasWAL {
            throw SpoolError(.notASpool, "\(path) is empty (0 bytes), not a spool; it was left untouched")
        }
        if size > 0 {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw SpoolError(.readOnly, "cannot read \(path) (permission)")
            }
            let header = (try? handle.read(upToCount: sqliteHeader.count)).map(Array.init) ?? []
            try? handle.close()
            guard header == sqliteHeader else {
                throw SpoolError(.notADatabase, "\(path) is not a SQLite database, so not a spool; it was left untouched")
            }
        }
        var options = SQLiteConnection.Options()
        options.access = .readOnly
        let connection = try openForLook(path, options: options)
        defer { connection.close() }
        return try connection.withDatabase { (database: Database) throws(SpoolError) -> Int64 in
            let version = try database.integer(SQL.userVersion)
            guard version > 0, try database.integer(SQL.spoolTableCount) == 2 else {
                throw SpoolError(.notASpool, "\(path) is a SQLite database but not a spool (it has no outbox and dead_letters tables); it was left untouched")
            }
            if version > Migrator.latestVersion {
                throw Migrator.newerVersion(path: path, found: version, supported: Migrator.latestVersion)
            }
            return version
        }
    }

    /// A read-only connection for a look: with SQLite's `immutable=1` when no -wal file exists (no connection has
    /// the spool open), which takes no locks and creates no -wal/-shm; else on the -wal and -shm files already there.
    /// A refusal for want of permission says so and names the path.
    package static func openForLook(_ path: String, options: SQLiteConnection.Options) throws(SpoolError) -> SQLiteConnection {
        var options = options
        options.access = .readOnly
        options.immutable = options.immutable || !FileManager.default.fileExists(atPath: path + "-wal")
        try refuseForeignSideFiles(path)
        do {
            return try SQLiteConnection(path: path, options: options)
        } catch {
            throw permissionError(error, path: path)
        }
    }

    /// A read-only connection creates the -shm file when it is missing. Created by a user other than the spool's
    /// owner, the owner could no longer write it and the application's next append would fail: refused instead.
    private static func refuseForeignSideFiles(_ path: String) throws(SpoolError) {
        guard FileManager.default.fileExists(atPath: path + "-wal"), !FileManager.default.fileExists(atPath: path + "-shm") else { return }
        guard let (owner, user) = foreignOwner(of: path) else { return }
        throw SpoolError(
            .readOnly,
            "cannot read the spool at \(path) as this user (permission): reading it would create \(path)-shm owned by uid \(user), which the spool's owner (uid \(owner)) could not write; run the command as the owner"
        )
    }

    /// For the operator openings that write (`SpoolOpening.existingOnly` and `.existingAndMigrate`): a connection
    /// that writes creates the -wal and -shm files when they are missing, as this user. Another user's would be
    /// files the application could no longer write, and its next append would fail: refused instead.
    static func requireOwner(_ path: String) throws(SpoolError) {
        guard let (owner, user) = foreignOwner(of: path) else { return }
        throw SpoolError(
            .readOnly,
            "the spool file \(path) belongs to uid \(owner), not to this user (uid \(user)) (permission): -wal/-shm files this command created would be ours and the application could not write them; run it as the file's owner (e.g. sudo -u \(userName(owner)) spoolctl …)"
        )
    }

    /// The file's owner and this process's user when they differ; nil when they are the same, when the file cannot
    /// be read, or for root (SQLite gives the files it creates as root to the database's owner).
    private static func foreignOwner(of path: String) -> (owner: uid_t, user: uid_t)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let user = geteuid()
        guard user != 0, user != info.st_uid else { return nil }
        return (info.st_uid, user)
    }

    private static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "#\(uid)" }
        return String(cString: name)
    }

    /// The message for a read-only open that SQLite refused because it could not create or write the -shm file.
    private static func permissionError(_ error: SpoolError, path: String) -> SpoolError {
        let folder = (path as NSString).deletingLastPathComponent
        guard [.cannotOpen, .readOnly].contains(error.code), !FileManager.default.isWritableFile(atPath: folder.isEmpty ? "." : folder) else {
            return error
        }
        return SpoolError(
            error.code,
            "cannot read the spool at \(path) (permission): its -wal file exists, and SQLite needs to create or write \(path)-shm in \(folder.isEmpty ? "." : folder), which this user cannot write; run the command as the spool's owner",
            sqliteCode: error.sqliteCode
        )
    }
}
