/// A snapshot of a spool file: what waits, what failed, who drains it. Times are Unix milliseconds.
public struct SpoolStatus: Sendable, Equatable, Codable {
    public var tables: [TableStatus]
    public var pendingRows: Int
    public var pendingBytes: Int64
    public var deadLetterRows: Int
    public var databaseBytes: Int64
    public var walBytes: Int64
    public var lease: UploaderLease?
    public var lastSuccessAt: Int64?
    public var schemaVersion: Int64
}

/// One event table's state.
public struct TableStatus: Sendable, Equatable, Codable {
    public var table: String
    public var pendingRows: Int
    public var pendingBytes: Int64
    public var oldestCreatedAt: Int64?
    /// The earliest time a pending row may be sent (rows' own retry times and the table's backoff).
    public var nextAttemptAt: Int64?
    public var maxAttempts: Int
    public var pausedSince: Int64?
    public var pauseReason: String?
    public var backoffUntil: Int64?
    public var consecutiveFailures: Int
    public var lastError: String?
    public var lastErrorAt: Int64?
    public var lastSuccessAt: Int64?
    public var deliveredRows: Int64
    public var droppedRows: Int64
    public var schemaNote: String?
    /// Dead letters of this table by reason.
    public var deadLetters: [String: Int]
    /// ISO-8601 time of this table's newest dead letter.
    public var newestDeadLetterAt: String?

    init(table: String) {
        self.table = table
        pendingRows = 0
        pendingBytes = 0
        maxAttempts = 0
        consecutiveFailures = 0
        deliveredRows = 0
        droppedRows = 0
        deadLetters = [:]
    }

    public var isPaused: Bool { pausedSince != nil }
}

/// A figure of the per-table bookkeeping that differs from a recount of the rows (`spoolctl doctor`).
public struct TotalsDrift: Sendable, Equatable, Codable, CustomStringConvertible {
    public var table: String
    /// `pending rows`, `pending bytes`, `retrying rows` or `dead letters (reason)`.
    public var figure: String
    /// What the bookkeeping said.
    public var recorded: Int64
    /// What the rows say.
    public var counted: Int64

    public var description: String { "\(table): \(figure) recorded \(recorded), counted \(counted)" }
}
