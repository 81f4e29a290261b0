/// What the uploader does about a request that got no row-level answer. Each transport maps its own failures onto
/// these (insertAll: `InsertAll/InsertAllAnswers.swift`, with its table of BigQuery's answers).
enum FailureAction: Sendable, Equatable {
    /// The request as a whole is invalid: split the batch until the bad row stands alone.
    case bisect
    /// A server error that is usually transient, but that some servers give a bad row; repeated, it is bisected.
    case serverError
    /// Transient (timeouts, throttling, network, unreadable answers): back off.
    case retry
    /// A quota is exhausted: back off for a long time.
    case quota
    /// Misconfiguration (access denied, no such table, an impossible id): pause the table, keep its rows.
    case pause(reason: String)
}
