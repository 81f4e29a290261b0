/// Brings a spool file to the latest schema: every pending migration, each followed by its `user_version`, in one
/// IMMEDIATE transaction, so a crash leaves the file at the version it had or at the latest, never in between.
package enum Migrator {
    /// The schema version this build writes and reads.
    package static var latestVersion: Int64 { Migration.embedded.last?.version ?? 0 }

    /// Applies every migration above the file's version. Processes opening one file at once are safe: the version is
    /// re-read inside the write lock, so each migration runs exactly once.
    static func migrate(_ database: Database, path: String, migrations: [Migration] = Migration.embedded) throws(SpoolError) {
        let latest = migrations.last?.version ?? 0
        guard try database.integer(SQL.userVersion) < latest else { return }
        try database.immediateTransaction { (database: Database) throws(SpoolError) in
            let current = try database.integer(SQL.userVersion)
            if current > latest {
                throw newerVersion(path: path, found: current, supported: latest)
            }
            for migration in migrations where migration.version > current {
                do throws(SpoolError) {
                    try database.execute(migration.sql)
                } catch {
                    throw SpoolError(error.code, "migration \(migration.name) failed on \(path): \(error.message)", sqliteCode: error.sqliteCode)
                }
                try database.execute(SQL.setUserVersion(migration.version))
            }
        }
    }

    /// For read-only opens: the file must already be at exactly this build's version.
    static func requireCurrent(_ database: Database, path: String) throws(SpoolError) {
        let version = try database.integer(SQL.userVersion)
        if version == 0 {
            throw SpoolError(.notASpool, "\(path) is not a spool (no schema version); it was left untouched")
        }
        try requireCurrent(version: version, path: path)
    }

    static func requireCurrent(version: Int64, path: String) throws(SpoolError) {
        if version > latestVersion {
            throw newerVersion(path: path, found: version, supported: latestVersion)
        }
        if version < latestVersion {
            throw SpoolError(
                .olderVersion,
                "the spool at \(path) is at schema version \(version); this build reads version \(latestVersion). The application migrates its spool when it opens it; to migrate it now, run `spoolctl migrate --db \(path)` (once every program that opens the file is of this version: an older one refuses a newer file)"
            )
        }
    }

    static func newerVersion(path: String, found: Int64, supported: Int64) -> SpoolError {
        SpoolError(.newerVersion, "the spool at \(path) is at schema version \(found), written by a newer Spool; this version understands up to \(supported). The file was left untouched: upgrade Spool to read it")
    }
}
