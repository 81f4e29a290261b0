/// One file of migrations/: applied once, in order, in its own IMMEDIATE transaction.
struct Migration: Sendable {
    /// The number the file name starts with; `PRAGMA user_version` records the last one applied.
    let version: Int64
    let name: String
    let sql: String
}
