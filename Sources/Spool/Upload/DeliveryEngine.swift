import BigQueryREST
import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// The uploader's work, synchronous and confined to one thread: claim a table's due rows, judge them locally, send
/// one insertAll request, classify BigQuery's answer and apply the verdict to the outbox in one transaction.
///
/// The path of one event: outbox row → claimed batch → local verdicts → insertAll → BigQuery's verdicts →
/// delete / dead-letter / reschedule.
final class DeliveryEngine {
    private let spool: Spool
    private let outbox: Outbox
    private let client: BigQueryClient
    private let destination: Destination
    private let configuration: UploaderConfiguration
    private let backoff: Backoff
    private let logger: Logger
    private var random = SystemRandomNumberGenerator()
    /// Local validators by event table; replaced by the remote schema when drift is found.
    private var validators: [String: RowValidator] = [:]
    /// Tables whose remote schema was already compared with the local one in this run.
    private var driftChecked: Set<String> = []
    /// Consecutive HTTP 500 answers per batch (keyed by its first row id): the second one starts a bisection.
    private var serverErrorStrikes: [Int64: Int] = [:]
    /// When BigQuery last accepted a request: a lone row failing with 500 right after is poison, not an outage.
    private var lastAcceptedAt: Int64?

    /// Called between batches; returning false interrupts the pass (stop requested, lease lost).
    var shouldContinue: () -> Bool = { true }
    /// Called before each request (bisection sends several per batch); returning false (the lease was lost)
    /// keeps the request from being sent: another uploader may hold these rows now.
    var beforeRequest: () -> Bool = { true }
    /// Called after each applied batch.
    var onBatch: (_ table: String, _ report: DeliveryReport) -> Void = { _, _ in }

    init(spool: Spool, client: BigQueryClient, destination: Destination, configuration: UploaderConfiguration, logger: Logger) {
        self.spool = spool
        self.outbox = spool.outbox
        self.client = client
        self.destination = destination
        self.configuration = configuration
        self.backoff = Backoff(floor: configuration.initialBackoff, ceiling: configuration.maxBackoff)
        self.logger = logger
        self.validators = spool.configuration.schemas.mapValues {
            RowValidator(schema: $0, ignoreUnknownValues: destination.ignoreUnknownValues || spool.configuration.ignoreUnknownValues)
        }
    }

    private var now: Int64 { configuration.now() }

    // MARK: Passes

    /// Sends every due batch, one table after another round-robin, until nothing is due, `deadline` (Unix ms)
    /// passes or `shouldContinue` says stop. Only `only` tables when given.
    func pass(until deadline: Int64? = nil, only: Set<String>? = nil) throws(SpoolError) -> DeliveryReport {
        var report = DeliveryReport()
        while true {
            var sentSomething = false
            var earliest: Int64?
            let states = try outbox.tableStates()
            for table in try outbox.tablesWithRows() where only?.contains(table) ?? true {
                if let deadline, now >= deadline {
                    report.interrupted = true
                    return report
                }
                guard shouldContinue() else {
                    report.interrupted = true
                    return report
                }
                let state = states[table]
                // A paused table is retried at its recheck time (kept in backoff_until), like a backoff.
                if let waitUntil = state?.backoffUntil, waitUntil > now {
                    earliest = min(earliest ?? waitUntil, waitUntil)
                    continue
                }
                let rows = try outbox.claim(table: table, now: now, maxRows: configuration.batchRows, maxBytes: configuration.batchBytes)
                guard !rows.isEmpty else {
                    if let next = try outbox.nextAttempt(table: table) { earliest = min(earliest ?? next, next) }
                    continue
                }
                let batch = try deliver(rows, table: table, failuresSoFar: state?.consecutiveFailures ?? 0)
                report.add(batch)
                onBatch(table, batch)
                sentSomething = true
            }
            if !sentSomething {
                report.nextDueAt = earliest
                report.interrupted = false
                return report
            }
        }
    }

    // MARK: One batch

    private func deliver(_ rows: [OutboxRow], table: String, failuresSoFar: Int) throws(SpoolError) -> DeliveryReport {
        var resolution = BatchResolution()
        let startedAt = now
        var pending = rows

        if let maxAge = configuration.maxRowAge {
            let oldest = startedAt - maxAge.inMilliseconds
            for row in pending where row.createdAt < oldest {
                resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(
                    reason: "expired", message: "not delivered within \(maxAge) of being appended (\(row.attempts) tries)"
                )))
            }
            pending.removeAll { $0.createdAt < oldest }
        }
        pending = judgeLocally(pending, table: table, into: &resolution)

        var requests = 0
        if !pending.isEmpty {
            var send = BatchSender(engine: self, table: table, failuresSoFar: failuresSoFar)
            send.deliver(pending, into: &resolution)
            requests = send.requests
        }
        try outbox.apply(resolution, table: table, now: now)

        var report = DeliveryReport()
        report.requests = requests
        report.delivered = resolution.delivered.count
        report.deadLettered = resolution.deadLettered.count
        report.retried = resolution.retried.count
        spool.metrics.delivered(table: table, rows: report.delivered)
        spool.metrics.retried(table: table, rows: report.retried)
        for letter in resolution.deadLettered {
            spool.metrics.deadLettered(table: table, reason: letter.reason.reason)
        }
        if report.deadLettered > 0 {
            let reasons = Set(resolution.deadLettered.map(\.reason.reason)).sorted().joined(separator: ",")
            logger.info("rows moved to dead_letters", metadata: ["spool.table": "\(table)", "spool.rows": "\(report.deadLettered)", "spool.reasons": "\(reasons)"])
        }
        return report
    }

    /// Rows the local schema rejects go straight to dead_letters, so they never get a whole batch `stopped`.
    private func judgeLocally(_ rows: [OutboxRow], table: String, into resolution: inout BatchResolution) -> [OutboxRow] {
        guard var validator = validators[table] else { return rows }
        var verdicts = rows.map { validator.validate(json: $0.payload) }
        if verdicts.contains(where: { $0 != nil }), checkDrift(table: table), let remote = validators[table] {
            // The remote schema differs from the file: re-judge with the one BigQuery will apply.
            validator = remote
            verdicts = rows.map { validator.validate(json: $0.payload) }
        }
        var valid: [OutboxRow] = []
        for (row, verdict) in zip(rows, verdicts) {
            if let verdict {
                resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(reason: verdict.reason, location: verdict.location, message: verdict.message)))
            } else {
                valid.append(row)
            }
        }
        return valid
    }

    /// Compares the table's remote schema with the local one, once per run. Returns true when they differ, after
    /// switching this table's validator to the remote schema and noting it in status.
    @discardableResult
    func checkDrift(table: String) -> Bool {
        guard let local = spool.configuration.schemas[table], !driftChecked.contains(table) else { return false }
        driftChecked.insert(table)
        let target = destination.target(for: table)
        let remote: TableSchema
        do {
            let resource = try client.getTable(dataset: target.dataset, table: target.table)
            remote = try TableSchema(jsonData: resource.schema)
        } catch {
            logger.info("could not fetch the remote schema to check for drift", metadata: ["spool.table": "\(table)", "spool.error": "\(error)"])
            return false
        }
        let differences = local.differences(from: remote)
        guard !differences.isEmpty else {
            try? outbox.setSchemaNote(nil, table: table)
            return false
        }
        let summary = differences.prefix(5).map { "\($0)" }.joined(separator: "; ")
        let note = "remote schema of \(target.dataset).\(target.table) differs from the local file (\(summary)); validating with the remote schema"
        logger.info("schema drift", metadata: ["spool.table": "\(table)", "spool.differences": "\(differences.count)"])
        try? outbox.setSchemaNote(note, table: table)
        validators[table] = RowValidator(schema: remote, ignoreUnknownValues: destination.ignoreUnknownValues || spool.configuration.ignoreUnknownValues)
        return true
    }

    // MARK: Requests

    fileprivate func send(_ rows: ArraySlice<OutboxRow>, table: String) -> InsertAllResult {
        guard beforeRequest() else {
            return .failed(RequestFailure(kind: .transport, message: "not sent: this uploader no longer holds the spool's lease"))
        }
        let target = destination.target(for: table)
        let started = ContinuousClock.now
        let result = client.insertAll(
            dataset: target.dataset, table: target.table,
            rows: rows.map { InsertAllRow(insertId: $0.insertId, json: $0.payload) },
            ignoreUnknownValues: destination.ignoreUnknownValues
        )
        spool.metrics.uploaded(table: table, rows: rows.count, duration: ContinuousClock.now - started)
        if case .response = result {
            lastAcceptedAt = now
        }
        return result
    }

    fileprivate func strike(_ rows: ArraySlice<OutboxRow>) -> Int {
        guard let first = rows.first?.id else { return 0 }
        serverErrorStrikes[first, default: 0] += 1
        return serverErrorStrikes[first] ?? 0
    }

    fileprivate func clearStrikes(_ rows: ArraySlice<OutboxRow>) {
        if let first = rows.first?.id { serverErrorStrikes[first] = nil }
    }

    /// Tables whose last bisection was cut short by a transient failure: their next 500 resumes bisecting at once
    /// instead of counting strikes again, so a poison row is isolated even while the network is flaky.
    private var unfinishedBisections: Set<String> = []

    fileprivate func bisectionUnfinished(_ table: String) -> Bool { unfinishedBisections.contains(table) }
    fileprivate func setBisectionUnfinished(_ table: String, _ unfinished: Bool) {
        if unfinished { unfinishedBisections.insert(table) } else { unfinishedBisections.remove(table) }
    }

    fileprivate func backoffDelay(failures: Int, minimum: Duration?) -> Duration {
        backoff.delay(afterFailures: failures, minimum: minimum, using: &random)
    }

    fileprivate var currentTime: Int64 { now }
    fileprivate var acceptedRecently: Bool {
        guard let lastAcceptedAt else { return false }
        return now - lastAcceptedAt < configuration.maxBackoff.inMilliseconds * 2
    }
    fileprivate var uploaderConfiguration: UploaderConfiguration { configuration }
    fileprivate var engineLogger: Logger { logger }
    fileprivate func noteRemoteRejection(table: String) {
        // BigQuery rejected a row the local schema accepted: the schema may have changed remotely.
        if validators[table] != nil { checkDrift(table: table) }
    }
}

/// Sends one claimed batch and turns every answer into the batch's resolution, bisecting when the request as a
/// whole is refused.
private struct BatchSender {
    let engine: DeliveryEngine
    let table: String
    let failuresSoFar: Int
    var requests = 0

    init(engine: DeliveryEngine, table: String, failuresSoFar: Int) {
        self.engine = engine
        self.table = table
        self.failuresSoFar = failuresSoFar
    }

    mutating func deliver(_ rows: [OutboxRow], into resolution: inout BatchResolution) {
        let batch = rows[...]
        requests += 1
        switch engine.send(batch, table: table) {
        case .response(_, let insertErrors):
            engine.clearStrikes(batch)
            judge(batch, insertErrors: insertErrors, into: &resolution)
            resolution.tableOutcome = .succeeded
        case .failed(let failure):
            switch FailureAction(failure) {
            case .bisect:
                bisect(batch, firstFailure: failure, into: &resolution)
            case .serverError:
                let strikes = engine.strike(batch)
                if batch.count > 1 && (strikes >= 2 || engine.bisectionUnfinished(table)) {
                    engine.clearStrikes(batch)
                    bisect(batch, firstFailure: failure, into: &resolution)
                } else if batch.count == 1 && strikes >= engine.uploaderConfiguration.poisonStrikes && engine.acceptedRecently {
                    engine.clearStrikes(batch)
                    resolution.deadLettered.append(poison(batch[batch.startIndex], failure: failure))
                } else {
                    backOff(batch, failure: failure, into: &resolution)
                }
            case .retry:
                backOff(batch, failure: failure, into: &resolution)
            case .quota:
                backOff(batch, failure: failure, minimum: engine.uploaderConfiguration.quotaBackoff, into: &resolution)
            case .pause(let reason):
                let recheck = engine.currentTime + engine.uploaderConfiguration.pauseRecheckInterval.inMilliseconds
                resolution.tableOutcome = .paused(reason: reason, error: "\(failure)", recheckAt: recheck)
                engine.engineLogger.info("table paused: BigQuery refuses it; its rows wait", metadata: [
                    "spool.table": "\(table)", "spool.reason": "\(reason)", "spool.error": "\(failure)",
                ])
            }
        }
    }

    /// BigQuery's per-row verdicts of a 2xx answer.
    private func judge(_ rows: ArraySlice<OutboxRow>, insertErrors: [InsertErrorEntry], into resolution: inout BatchResolution) {
        var errorsByIndex: [Int: [ErrorProto]] = [:]
        for entry in insertErrors { errorsByIndex[entry.index, default: []] += entry.errors }
        var stopped: [OutboxRow] = []
        var anyInvalid = false
        var remoteRejected = false
        for (offset, row) in rows.enumerated() {
            guard let errors = errorsByIndex[offset], !errors.isEmpty else {
                resolution.delivered.append(row.id)
                continue
            }
            if let invalid = errors.first(where: { $0.reason == "invalid" }) {
                anyInvalid = true
                remoteRejected = true
                resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(reason: invalid.reason, location: invalid.location, message: invalid.message)))
            } else if errors.allSatisfy({ $0.reason == "stopped" }) {
                // Valid, but not stored because another row was invalid: sent again as it is, right away.
                stopped.append(row)
            } else {
                let error = errors[0]
                let delay = engine.backoffDelay(failures: row.attempts + 1, minimum: nil)
                resolution.retried.append(.init(id: row.id, notBefore: engine.currentTime + delay.inMilliseconds, error: "row \(error.reason): \(error.message)"))
            }
        }
        if !anyInvalid {
            // `stopped` with no invalid row makes no sense; back off rather than loop.
            for row in stopped {
                let delay = engine.backoffDelay(failures: row.attempts + 1, minimum: nil)
                resolution.retried.append(.init(id: row.id, notBefore: engine.currentTime + delay.inMilliseconds, error: "row stopped without an invalid row in its batch"))
            }
        }
        if remoteRejected {
            engine.noteRemoteRejection(table: table)
        }
    }

    /// Inside a bisection, a transient failure (503, 429, a reset, a timeout) is tried again twice at once: aborting
    /// would throw away the bisection's progress, and under a steady drizzle of such errors it would never finish.
    private mutating func sendRetryingTransients(_ rows: ArraySlice<OutboxRow>) -> InsertAllResult {
        var result: InsertAllResult = .failed(RequestFailure(kind: .transport, message: "not sent"))
        for _ in 0..<3 {
            requests += 1
            result = engine.send(rows, table: table)
            guard case .failed(let failure) = result, FailureAction(failure) == .retry else { return result }
        }
        return result
    }

    /// Splits a refused batch in halves until each refused row stands alone, then dead-letters it with the last error.
    private mutating func bisect(_ rows: ArraySlice<OutboxRow>, firstFailure: RequestFailure, into resolution: inout BatchResolution) {
        var poisonCandidates: [(OutboxRow, RequestFailure)] = []
        var accepted = false
        var transient: RequestFailure?

        // Depth-first, left half first. When a whole left subtree failed with 500 and nothing at all was accepted,
        // the server is failing rather than a row: stop there (about log2(n) requests) and back off.
        var outage = false
        func split(_ rows: ArraySlice<OutboxRow>, failure: RequestFailure, sender: inout BatchSender) {
            if rows.count == 1 {
                let row = rows[rows.startIndex]
                if FailureAction(failure) == .bisect {
                    resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(reason: failure.errorReason ?? "invalid", message: failure.message)))
                } else {
                    poisonCandidates.append((row, failure))
                }
                return
            }
            let middle = rows.startIndex + rows.count / 2
            let halves = [rows[rows.startIndex..<middle], rows[middle..<rows.endIndex]]
            for (position, half) in halves.enumerated() {
                guard transient == nil, !outage else { return }
                switch sender.sendRetryingTransients(half) {
                case .response(_, let insertErrors):
                    accepted = true
                    sender.judge(half, insertErrors: insertErrors, into: &resolution)
                case .failed(let halfFailure):
                    let action = FailureAction(halfFailure)
                    switch action {
                    case .bisect, .serverError:
                        split(half, failure: halfFailure, sender: &sender)
                        // A lone left row still gets its sibling tried: that answer tells poison from outage.
                        if position == 0, action == .serverError, !accepted, half.count > 1 {
                            outage = true
                        }
                    default:
                        transient = halfFailure
                    }
                }
            }
        }
        split(rows, failure: firstFailure, sender: &self)

        // A lone row that keeps failing with 500 while the rest of its batch is accepted is poison; tried again
        // alone a few times first, so that a passing server error does not dead-letter a good row.
        for (row, failure) in poisonCandidates {
            guard transient == nil, accepted || engine.acceptedRecently else { break }
            var lastFailure = failure
            var stillFailing = true
            for _ in 1..<max(engine.uploaderConfiguration.poisonStrikes, 1) {
                switch sendRetryingTransients([row][...]) {
                case .response(_, let insertErrors):
                    judge([row][...], insertErrors: insertErrors, into: &resolution)
                    stillFailing = false
                case .failed(let again):
                    lastFailure = again
                    if FailureAction(again) != .serverError { transient = again }
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
        engine.setBisectionUnfinished(table, transient != nil && !outage)
        if let transient {
            // The service itself is failing: what was not resolved waits for the backoff.
            let resolved = Set(resolution.delivered + resolution.deadLettered.map(\.id) + resolution.retried.map(\.id))
            backOff(rows.filter { !resolved.contains($0.id) }[...], failure: transient, into: &resolution)
        } else if accepted || !resolution.deadLettered.isEmpty {
            resolution.tableOutcome = .succeeded
        } else {
            let resolved = Set(resolution.deadLettered.map(\.id))
            backOff(rows.filter { !resolved.contains($0.id) }[...], failure: firstFailure, into: &resolution)
        }
    }

    private func poison(_ row: OutboxRow, failure: RequestFailure) -> BatchResolution.DeadLetter {
        .init(id: row.id, reason: DeadLetterReason(
            reason: failure.errorReason ?? "internalError",
            message: "\(failure.message) (HTTP \(failure.httpStatus ?? 0) for this row alone, \(engine.uploaderConfiguration.poisonStrikes) times, while the rest of its batch was accepted)"
        ))
    }

    /// The whole request failed and may succeed later: the table backs off and each row counts a try.
    private func backOff(_ rows: ArraySlice<OutboxRow>, failure: RequestFailure, minimum: Duration? = nil, into resolution: inout BatchResolution) {
        let retryAfter = failure.retryAfter?.delay(from: Date())
        let floor = [minimum, retryAfter].compactMap { $0 }.max()
        let delay = engine.backoffDelay(failures: failuresSoFar + 1, minimum: floor)
        let until = engine.currentTime + delay.inMilliseconds
        let error = "\(failure)"
        for row in rows {
            resolution.retried.append(.init(id: row.id, notBefore: until, error: error))
        }
        if resolution.tableOutcome == nil {
            resolution.tableOutcome = .failed(backoffUntil: until, error: error)
        }
        engine.engineLogger.info("insertAll failed; backing off", metadata: [
            "spool.table": "\(table)", "spool.batch_rows": "\(rows.count)", "spool.error": "\(error)",
            "spool.backoff_ms": "\(delay.inMilliseconds)",
        ])
    }
}
