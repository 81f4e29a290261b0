/// One pending event as the uploader sees it.
package struct OutboxRow: Sendable, Equatable {
    package var id: Int64
    package var table: String
    package var insertId: String
    /// The JSON object text exactly as appended.
    package var payload: String
    package var payloadBytes: Int
    /// Append time, Unix milliseconds.
    package var createdAt: Int64
    /// Failed tries so far.
    package var attempts: Int
    /// Its offset in the table's current Storage Write stream, once it was given one (never under insertAll).
    package var streamOffset: Int64? = nil
    /// The first offset of the AppendRows request it was sent in, with `streamOffset`: a resend repeats that request.
    package var streamRequest: Int64? = nil
}

/// Why a row was moved to dead_letters: BigQuery's own words, or Spool's for local verdicts.
public struct DeadLetterReason: Sendable, Equatable, Hashable, Codable {
    /// BigQuery's reason (`invalid`, …) or Spool's (`expired`, `poison`).
    public var reason: String
    /// The field path BigQuery named, `""` when it named none.
    public var location: String
    public var message: String

    public init(reason: String, location: String = "", message: String) {
        self.reason = reason
        self.location = location
        self.message = message
    }
}

/// What happened to a claimed batch: each row delivered, dead-lettered or rescheduled, and how the request went.
package struct BatchResolution: Sendable {
    package struct DeadLetter: Sendable {
        package var id: Int64
        package var reason: DeadLetterReason
        package init(id: Int64, reason: DeadLetterReason) {
            self.id = id
            self.reason = reason
        }
    }

    package struct Retry: Sendable {
        package var id: Int64
        /// Unix milliseconds.
        package var notBefore: Int64
        package var error: String
        package init(id: Int64, notBefore: Int64, error: String) {
            self.id = id
            self.notBefore = notBefore
            self.error = error
        }
    }

    /// How the whole request went, recorded in the table's state.
    package enum TableOutcome: Sendable {
        /// At least part of the batch reached BigQuery: clears backoff and pause.
        case succeeded
        /// The request failed as a whole and may succeed later: no request for this table before `backoffUntil`.
        case failed(backoffUntil: Int64, error: String)
        /// Misconfiguration (access denied, table not found): the table waits, rows stay; re-checked after `recheckAt`.
        case paused(reason: String, error: String, recheckAt: Int64)
    }

    package var delivered: [Int64] = []
    package var deadLettered: [DeadLetter] = []
    package var retried: [Retry] = []
    package var tableOutcome: TableOutcome?

    package init(delivered: [Int64] = [], deadLettered: [DeadLetter] = [], retried: [Retry] = [], tableOutcome: TableOutcome? = nil) {
        self.delivered = delivered
        self.deadLettered = deadLettered
        self.retried = retried
        self.tableOutcome = tableOutcome
    }

    package var isEmpty: Bool {
        delivered.isEmpty && deadLettered.isEmpty && retried.isEmpty && tableOutcome == nil
    }

    /// The same verdicts in pieces of at most `rows` rows (dead letters, then deliveries, then retries), the table's
    /// outcome in the first piece. Never empty.
    func chunks(of rows: Int) -> [BatchResolution] {
        var chunks = [BatchResolution(tableOutcome: tableOutcome)]
        var filled = 0
        func place(_ add: (inout BatchResolution) -> Void) {
            if filled == rows {
                chunks.append(BatchResolution())
                filled = 0
            }
            add(&chunks[chunks.count - 1])
            filled += 1
        }
        for letter in deadLettered { place { $0.deadLettered.append(letter) } }
        for id in delivered { place { $0.delivered.append(id) } }
        for retry in retried { place { $0.retried.append(retry) } }
        return chunks
    }
}

/// Who holds the uploader lease of a spool file.
public struct UploaderLease: Sendable, Equatable, Codable {
    public var holder: String
    /// Unix milliseconds.
    public var acquiredAt: Int64
    public var renewedAt: Int64
    public var expiresAt: Int64
}

/// The answer to a lease request.
package enum LeaseAttempt: Sendable, Equatable {
    case acquired(UploaderLease)
    case heldByOther(UploaderLease)
}

/// One row of dead_letters.
public struct DeadLetter: Sendable, Equatable, Codable {
    public var id: Int64
    public var table: String
    public var insertId: String
    public var reason: String
    public var location: String
    public var message: String
    public var attempts: Int
    /// ISO-8601, as stored.
    public var createdAt: String
    public var deadLetteredAt: String
    public var payload: String
}

/// Filters for listing, requeueing or purging dead letters; nil means any.
public struct DeadLetterFilter: Sendable, Equatable {
    public var table: String?
    public var reason: String?
    /// ISO-8601 lower bound on the dead-letter time.
    public var since: String?
    public var limit: Int

    public init(table: String? = nil, reason: String? = nil, since: String? = nil, limit: Int = 100) {
        self.table = table
        self.reason = reason
        self.since = since
        self.limit = limit
    }
}
