/// One file of migrations/: applied once, in order, in the one transaction of `Migrator.migrate`.
struct Migration: Sendable {
    /// The number the file name starts with; `PRAGMA user_version` records the last one applied.
    let version: Int64
    let name: String
    let sql: String
}
