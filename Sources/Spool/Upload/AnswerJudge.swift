import Foundation
import SpoolStorage

/// Turns a transport's answer to one request into verdicts for the rows it carried: delivered, dead-lettered,
/// rescheduled, or the table paused. A pure function of the rows, the answer and the time; it sends nothing and
/// writes nothing. A request refused as a whole (`FailureAction.bisect`, `.serverError`) is not judged here:
/// `Bisection` finds out which rows are at fault.
struct AnswerJudge {
    /// Consecutive failed requests of the table before this batch (its backoff grows with them).
    var failuresSoFar: Int
    /// The least wait after a quota error.
    var quotaBackoff: Duration
    /// How long a paused table waits before it is tried again.
    var pauseRecheckInterval: Duration
    /// The backoff wait after the `failures`-th consecutive failure, at least `minimum`.
    var delay: (_ failures: Int, _ minimum: Duration?) -> Duration

    /// The answer as verdicts, or the failure when only a bisection can tell which rows are at fault.
    enum Judgement {
        case resolved(BatchResolution)
        case refused(TransportFailure)
    }

    /// Judges `outcome`, the answer to a request of `rows`, at `now` (Unix ms, the uploader's clock).
    func judge(_ rows: ArraySlice<OutboxRow>, _ outcome: TransportOutcome, now: Int64) -> Judgement {
        switch outcome {
        case .answered(let outcomes):
            var resolution = answered(rows, outcomes, now: now)
            resolution.tableOutcome = .succeeded
            return .resolved(resolution)
        case .failed(let failure):
            switch failure.action {
            case .bisect, .serverError:
                return .refused(failure)
            case .retry:
                return .resolved(backOff(rows, failure: failure, now: now))
            case .quota:
                return .resolved(backOff(rows, failure: failure, minimum: quotaBackoff, now: now))
            case .pause(let reason):
                let recheck = now + pauseRecheckInterval.inMilliseconds
                return .resolved(BatchResolution(tableOutcome: .paused(reason: reason, error: failure.description, recheckAt: recheck)))
            }
        }
    }

    /// The rows' own verdicts of an answered request, without the table's outcome.
    func answered(_ rows: ArraySlice<OutboxRow>, _ outcomes: [RowOutcome], now: Int64) -> BatchResolution {
        var resolution = BatchResolution()
        var resend: [OutboxRow] = []
        for (row, outcome) in zip(rows, outcomes) {
            switch outcome {
            case .accepted:
                resolution.delivered.append(row.id)
            case .invalid(let reason):
                resolution.deadLettered.append(.init(id: row.id, reason: reason))
            case .resend:
                // Left pending untouched: claimed again, and sent as it is, on the next pass.
                resend.append(row)
            case .retry(let error):
                resolution.retried.append(.init(id: row.id, notBefore: now + delay(row.attempts + 1, nil).inMilliseconds, error: error))
            }
        }
        if resolution.deadLettered.isEmpty {
            // Held back without an invalid row beside it makes no sense; back off rather than loop.
            for row in resend {
                let notBefore = now + delay(row.attempts + 1, nil).inMilliseconds
                resolution.retried.append(.init(id: row.id, notBefore: notBefore, error: "row stopped without an invalid row in its batch"))
            }
        }
        return resolution
    }

    /// The whole request failed and may succeed later: the table backs off and each row counts a try. The wait is
    /// at least `minimum` and the service's Retry-After, read against `now` (the uploader's clock).
    func backOff(_ rows: some Sequence<OutboxRow>, failure: TransportFailure, minimum: Duration? = nil, now: Int64) -> BatchResolution {
        let retryAfter = failure.retryAfter?.delay(from: Date(timeIntervalSince1970: Double(now) / 1000))
        let floor = [minimum, retryAfter].compactMap { $0 }.max()
        let until = now + delay(failuresSoFar + 1, floor).inMilliseconds
        var resolution = BatchResolution(tableOutcome: .failed(backoffUntil: until, error: failure.description))
        for row in rows {
            resolution.retried.append(.init(id: row.id, notBefore: until, error: failure.description))
        }
        return resolution
    }
}

extension BatchResolution {
    /// Adds `other`'s verdicts; the table's outcome stays the first one set.
    mutating func add(_ other: BatchResolution) {
        delivered += other.delivered
        deadLettered += other.deadLettered
        retried += other.retried
        if tableOutcome == nil {
            tableOutcome = other.tableOutcome
        }
    }

    /// The ids of every row with a verdict.
    var resolvedIds: Set<Int64> {
        Set(delivered + deadLettered.map(\.id) + retried.map(\.id))
    }
}
