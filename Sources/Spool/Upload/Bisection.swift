import SpoolStorage

/// Finds the rows at fault in a batch whose request was refused as a whole, by sending halves until each refused row
/// stands alone; and tells a poison row from an outage when the refusal is a server error.
///
/// A value the uploader keeps across batches: it owns the strikes (consecutive server errors per batch), the tables
/// whose last bisection was cut short, and when the service last accepted a request. It sends through the `send`
/// closure it is given and judges answers with the `AnswerJudge` it is given; it never touches the outbox.
struct Bisection {
    /// How many times a lone row must get a server error while the rest of its batch was accepted before it is
    /// dead-lettered as the batch's poison.
    let poisonStrikes: Int
    /// How long, in ms, an accepted request counts as recent: a lone row failing right after one is poison, not an
    /// outage.
    let recentWindow: Int64

    /// Consecutive server errors per batch, keyed by its first row id: the second one starts a bisection.
    private var strikes: [Int64: Int] = [:]
    /// Tables whose last bisection was cut short by a transient failure: their next server error resumes bisecting
    /// at once instead of counting strikes again, so a poison row is isolated even while the network is flaky.
    private var unfinished: Set<String> = []
    /// When the service last answered a request (Unix ms).
    private var lastAcceptedAt: Int64?

    init(poisonStrikes: Int, recentWindow: Duration) {
        self.poisonStrikes = poisonStrikes
        self.recentWindow = recentWindow.inMilliseconds
    }

    /// The service answered a request of `rows` at `now`: their strikes are forgotten.
    mutating func noteAnswered(_ rows: ArraySlice<OutboxRow>, now: Int64) {
        lastAcceptedAt = now
        if let first = rows.first?.id { strikes[first] = nil }
    }

    func acceptedRecently(now: Int64) -> Bool {
        guard let lastAcceptedAt else { return false }
        return now - lastAcceptedAt < recentWindow
    }

    func isUnfinished(_ table: String) -> Bool { unfinished.contains(table) }

    /// Resolves `rows`, whose request was refused as a whole with `refusal` (`.bisect` or `.serverError`).
    /// - Parameters:
    ///   - now: the uploader's clock, Unix ms.
    ///   - send: sends one request (the uploader counts it, checks its lease and records metrics).
    mutating func resolve(
        _ rows: ArraySlice<OutboxRow>, table: String, refusal: TransportFailure, judge: AnswerJudge,
        now: () -> Int64, send: (ArraySlice<OutboxRow>) -> TransportOutcome
    ) -> BatchResolution {
        guard refusal.action == .serverError, let first = rows.first?.id else {
            return bisect(rows, table: table, firstFailure: refusal, judge: judge, now: now, send: send)
        }
        strikes[first, default: 0] += 1
        let count = strikes[first] ?? 0
        if rows.count > 1 && (count >= 2 || unfinished.contains(table)) {
            strikes[first] = nil
            return bisect(rows, table: table, firstFailure: refusal, judge: judge, now: now, send: send)
        }
        if rows.count == 1 && count >= poisonStrikes && acceptedRecently(now: now()) {
            strikes[first] = nil
            return BatchResolution(deadLettered: [poison(rows[rows.startIndex], failure: refusal)])
        }
        return judge.backOff(rows, failure: refusal, now: now())
    }

    /// Splits a refused batch in halves until each refused row stands alone, then dead-letters it with the last error.
    private mutating func bisect(
        _ rows: ArraySlice<OutboxRow>, table: String, firstFailure: TransportFailure, judge: AnswerJudge,
        now: () -> Int64, send: (ArraySlice<OutboxRow>) -> TransportOutcome
    ) -> BatchResolution {
        var resolution = BatchResolution()
        var poisonCandidates: [(OutboxRow, TransportFailure)] = []
        var accepted = false
        var transient: TransportFailure?
        // Depth-first, left half first. When a whole left subtree failed with a server error and nothing at all was
        // accepted, the server is failing rather than a row: stop there (about log2(n) requests) and back off.
        var outage = false

        // Inside a bisection, a transient failure (503, 429, a reset, a timeout) is tried again twice at once:
        // aborting would throw away the bisection's progress, and under a steady drizzle of such errors it would
        // never finish.
        func sendRetryingTransients(_ rows: ArraySlice<OutboxRow>) -> TransportOutcome {
            var outcome = TransportOutcome.failed(.leaseLost)
            for _ in 0..<3 {
                outcome = send(rows)
                if case .answered = outcome { lastAcceptedAt = now() }
                guard case .failed(let failure) = outcome, failure.action == .retry else { return outcome }
            }
            return outcome
        }

        func split(_ rows: ArraySlice<OutboxRow>, failure: TransportFailure) {
            if rows.count == 1 {
                let row = rows[rows.startIndex]
                if failure.action == .bisect {
                    resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(reason: failure.reason ?? "invalid", message: failure.message)))
                } else {
                    poisonCandidates.append((row, failure))
                }
                return
            }
            let middle = rows.startIndex + rows.count / 2
            for (position, half) in [rows[rows.startIndex..<middle], rows[middle..<rows.endIndex]].enumerated() {
                guard transient == nil, !outage else { return }
                switch sendRetryingTransients(half) {
                case .answered(let outcomes):
                    accepted = true
                    resolution.add(judge.answered(half, outcomes, now: now()))
                case .failed(let halfFailure):
                    switch halfFailure.action {
                    case .bisect, .serverError:
                        split(half, failure: halfFailure)
                        // A lone left row still gets its sibling tried: that answer tells poison from outage.
                        if position == 0, halfFailure.action == .serverError, !accepted, half.count > 1 {
                            outage = true
                        }
                    default:
                        transient = halfFailure
                    }
                }
            }
        }
        split(rows, failure: firstFailure)

        // A lone row that keeps failing with a server error while the rest of its batch is accepted is poison; tried
        // again alone a few times first, so that a passing server error does not dead-letter a good row.
        for (row, failure) in poisonCandidates {
            guard transient == nil, accepted || acceptedRecently(now: now()) else { break }
            var lastFailure = failure
            var stillFailing = true
            for _ in 1..<max(poisonStrikes, 1) {
                switch sendRetryingTransients([row][...]) {
                case .answered(let outcomes):
                    resolution.add(judge.answered([row][...], outcomes, now: now()))
                    stillFailing = false
                case .failed(let again):
                    lastFailure = again
                    if again.action != .serverError { transient = again }
                }
                if !stillFailing || transient != nil { break }
            }
            if stillFailing && transient == nil {
                resolution.deadLettered.append(poison(row, failure: lastFailure))
            }
        }

        if outage, transient == nil {
            transient = firstFailure
        }
        if transient != nil && !outage {
            unfinished.insert(table)
        } else {
            unfinished.remove(table)
        }
        if let transient {
            // The service itself is failing: what was not resolved waits for the backoff.
            let resolved = resolution.resolvedIds
            resolution.add(judge.backOff(rows.filter { !resolved.contains($0.id) }, failure: transient, now: now()))
        } else if accepted || !resolution.deadLettered.isEmpty {
            resolution.tableOutcome = .succeeded
        } else {
            let resolved = Set(resolution.deadLettered.map(\.id))
            resolution.add(judge.backOff(rows.filter { !resolved.contains($0.id) }, failure: firstFailure, now: now()))
        }
        return resolution
    }

    private func poison(_ row: OutboxRow, failure: TransportFailure) -> BatchResolution.DeadLetter {
        .init(id: row.id, reason: DeadLetterReason(
            reason: failure.reason ?? "internalError",
            message: "\(failure.message) (\(failure.status ?? "a server error") for this row alone, \(poisonStrikes) times, while the rest of its batch was accepted)"
        ))
    }
}
