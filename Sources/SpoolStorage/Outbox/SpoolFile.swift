import Foundation

/// How `Spool(path:)` treats the file it opens.
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
            let version = try database.integer("PRAGMA user_version")
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
    /// owner (root excepted: SQLite gives files it creates as root to the database's owner), the owner could no
    /// longer write it and the application's next append would fail: refused instead.
    private static func refuseForeignSideFiles(_ path: String) throws(SpoolError) {
        guard FileManager.default.fileExists(atPath: path + "-wal"), !FileManager.default.fileExists(atPath: path + "-shm") else { return }
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        let user = geteuid()
        guard user != 0, user != info.st_uid else { return }
        throw SpoolError(
            .readOnly,
            "cannot read the spool at \(path) as this user (permission): reading it would create \(path)-shm owned by uid \(user), which the spool's owner (uid \(info.st_uid)) could not write; run the command as the owner"
        )
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
