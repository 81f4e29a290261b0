import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// The uploader's work, synchronous and confined to one thread: claims each table's due rows round-robin, judges them
/// locally (age, the schema policy), sends the rest through the transport, turns the answer into verdicts
/// (`AnswerJudge`; `Bisection` for a batch refused as a whole) and applies them to the outbox.
///
/// The path of one event: outbox row → claimed batch → local verdicts → `DeliveryTransport.send` → the service's
/// verdicts → delete / dead-letter / reschedule (`Outbox.apply`, in short transactions of a few rows each, so that
/// appends are never held up for long).
final class DeliveryEngine {
    private let spool: Spool
    private let outbox: Outbox
    private let transport: any DeliveryTransport
    private let destination: Destination
    /// Fetches the schema of a BigQuery table (dataset, table), to check for drift.
    private let fetchRemoteSchema: (_ dataset: String, _ table: String) throws -> TableSchema
    private let control: DeliveryControl
    private let configuration: UploaderConfiguration
    private let backoff: Backoff
    private let logger: Logger
    private var random = SystemRandomNumberGenerator()
    private var schemas: SchemaPolicy
    private var bisection: Bisection
    /// Requests sent for the batch in hand.
    private var requests = 0
    /// Whether the service refused a row of the batch in hand that the local schema accepted.
    private var remoteRejected = false

    init(
        spool: Spool, transport: any DeliveryTransport, destination: Destination, schemas: SchemaPolicy,
        fetchRemoteSchema: @escaping (_ dataset: String, _ table: String) throws -> TableSchema,
        control: DeliveryControl, configuration: UploaderConfiguration, logger: Logger
    ) {
        self.spool = spool
        self.outbox = spool.outbox
        self.transport = transport
        self.destination = destination
        self.schemas = schemas
        self.fetchRemoteSchema = fetchRemoteSchema
        self.control = control
        self.configuration = configuration
        self.backoff = Backoff(floor: configuration.initialBackoff, ceiling: configuration.maxBackoff)
        // Twice the longest backoff, in clamped milliseconds: `maxBackoff * 2` traps for a huge configured backoff.
        let window = Duration.milliseconds(configuration.maxBackoff.inMilliseconds * 2)
        self.bisection = Bisection(poisonStrikes: configuration.poisonStrikes, recentWindow: window)
        self.logger = logger
    }

    private var now: Int64 { configuration.now() }

    // MARK: Passes

    /// Sends every due batch, one table after another round-robin, until nothing is due, `deadline` (Unix ms)
    /// passes or the control says stop. Only `only` tables when given; `onBatch` after each applied batch.
    func pass(
        until deadline: Int64? = nil, only: Set<String>? = nil,
        onBatch: (_ table: String, _ report: DeliveryReport) -> Void = { _, _ in }
    ) throws(SpoolError) -> DeliveryReport {
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
                guard control.mayStartBatch() else {
                    report.interrupted = true
                    return report
                }
                let state = states[table]
                // A paused table is retried at its recheck time (kept in backoff_until), like a backoff.
                if let waitUntil = state?.backoffUntil, waitUntil > now {
                    earliest = min(earliest ?? waitUntil, waitUntil)
                    continue
                }
                let offsetsFirst = transport.keepsRowOffsets
                let requestBytes = min(configuration.batchBytes, transport.maxRequestBytes ?? .max)
                let rows = try outbox.claim(
                    table: table, now: now, maxRows: configuration.batchRows(for: destination.api) * transport.requestsPerBatch,
                    maxBytes: requestBytes * transport.requestsPerBatch, offsetsFirst: offsetsFirst
                )
                guard !rows.isEmpty else {
                    if let next = try outbox.nextAttempt(table: table, offsetsFirst: offsetsFirst) { earliest = min(earliest ?? next, next) }
                    continue
                }
                let batch = try deliver(rows, table: table, failuresSoFar: state?.consecutiveFailures ?? 0)
                report.add(batch)
                onBatch(table, batch)
                sentSomething = true
            }
            if !sentSomething {
                if control.maySend() { transport.maintain() }
                report.nextDueAt = earliest
                report.interrupted = false
                return report
            }
        }
    }

    // MARK: One batch

    private func deliver(_ rows: [OutboxRow], table: String, failuresSoFar: Int) throws(SpoolError) -> DeliveryReport {
        var resolution = BatchResolution()
        var pending = rows
        var parsed: [JSONValue]?
        if rows.first?.streamOffset == nil {
            // Rows holding stream offsets were judged when they got them and may be in BigQuery already: never again.
            pending = expire(pending, into: &resolution)
            (pending, parsed) = judgeLocally(pending, table: table, into: &resolution)
        }

        requests = 0
        remoteRejected = false
        if !pending.isEmpty {
            resolution.add(send(pending[...], parsed: parsed, table: table, failuresSoFar: failuresSoFar))
        }
        try outbox.apply(resolution, table: table, now: now)
        if remoteRejected {
            // BigQuery refused a row the local schema accepted: the table may have changed remotely. Checked once
            // the verdict is applied, so that the next batch is judged with the schema BigQuery applies.
            checkDrift(table: table)
        }

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
        log(resolution, table: table)
        return report
    }

    /// Rows older than `maxRowAge` are dead-lettered as expired instead of being sent.
    private func expire(_ rows: [OutboxRow], into resolution: inout BatchResolution) -> [OutboxRow] {
        guard let maxAge = configuration.maxRowAge else { return rows }
        let oldest = now - maxAge.inMilliseconds
        for row in rows where row.createdAt < oldest {
            resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(
                reason: "expired", message: "not delivered within \(maxAge) of being appended (\(row.attempts) tries)"
            )))
        }
        return rows.filter { $0.createdAt >= oldest }
    }

    /// Rows the local schema rejects go straight to dead_letters, so they never get a whole batch `stopped`. Returns
    /// the valid rows and, for a transport that re-encodes rows, each parsed (it takes them from there instead of
    /// parsing them again) — only for batches of at most `parsedRowsBudget` bytes of JSON: parsed values take several
    /// times the memory of their text, and a batch of large rows is parsed one row at a time, as before.
    private func judgeLocally(_ rows: [OutboxRow], table: String, into resolution: inout BatchResolution) -> ([OutboxRow], [JSONValue]?) {
        guard var validator = schemas.validator(for: table) else { return (rows, nil) }
        let keepParsed = transport.reusesParsedRows && rows.reduce(0) { $0 + $1.payloadBytes } <= Self.parsedRowsBudget
        let values = keepParsed ? rows.map { try? JSONParser.parse($0.payload) } : []
        func judge(_ validator: RowValidator) -> [RowError?] {
            guard keepParsed else { return rows.map { validator.validate(json: $0.payload) } }
            // Text that is not JSON is judged from the text, for the parser's message.
            return zip(rows, values).map { row, value in value.map { validator.validate($0) } ?? validator.validate(json: row.payload) }
        }
        var verdicts = judge(validator)
        if verdicts.contains(where: { $0 != nil }), checkDrift(table: table), let remote = schemas.validator(for: table) {
            // The remote schema differs from the file: re-judge with the one BigQuery will apply.
            validator = remote
            verdicts = judge(validator)
        }
        var valid: [OutboxRow] = []
        var parsed: [JSONValue]? = keepParsed ? [] : nil
        for (index, (row, verdict)) in zip(rows, verdicts).enumerated() {
            if let verdict {
                resolution.deadLettered.append(.init(id: row.id, reason: DeadLetterReason(reason: verdict.reason, location: verdict.location, message: verdict.message)))
            } else {
                valid.append(row)
                if keepParsed, let value = values[index] { parsed?.append(value) } else { parsed = nil }
            }
        }
        return (valid, parsed)
    }

    /// The most JSON bytes of a batch whose parsed rows are kept for the transport (`judgeLocally`).
    static let parsedRowsBudget = 2_000_000

    /// Compares the table's remote schema with the local one, once per run. Returns true when they differ: the
    /// schema policy then judges the table with the remote schema, and status shows a note.
    @discardableResult
    private func checkDrift(table: String) -> Bool {
        let target = destination.target(for: table)
        let check = schemas.checkRemote(table: table, remoteName: "\(target.dataset).\(target.table)") {
            try fetchRemoteSchema(target.dataset, target.table)
        }
        switch check {
        case .skipped:
            return false
        case .unavailable(let error):
            logger.info("could not fetch the remote schema to check for drift", metadata: ["spool.table": "\(table)", "spool.error": "\(error)"])
            return false
        case .same:
            try? outbox.setSchemaNote(nil, table: table)
            return false
        case .differs(let note, let differences, let remote):
            logger.info("schema drift", metadata: ["spool.table": "\(table)", "spool.differences": "\(differences)"])
            try? outbox.setSchemaNote(note, table: table)
            transport.useSchema(remote, table: table)
            return true
        }
    }

    // MARK: Requests

    /// Sends the batch and turns the answers into its resolution, bisecting when the request as a whole is refused.
    private func send(_ batch: ArraySlice<OutboxRow>, parsed: [JSONValue]?, table: String, failuresSoFar: Int) -> BatchResolution {
        let judge = AnswerJudge(
            failuresSoFar: failuresSoFar, quotaBackoff: configuration.quotaBackoff,
            pauseRecheckInterval: configuration.pauseRecheckInterval,
            delay: { failures, minimum in self.backoff.delay(afterFailures: failures, minimum: minimum, using: &self.random) }
        )
        let outcome = request(batch, parsed: parsed, table: table)
        switch judge.judge(batch, outcome, now: now) {
        case .resolved(let resolution):
            if case .answered = outcome {
                bisection.noteAnswered(batch, now: now)
            }
            return resolution
        case .refused(let failure):
            return bisection.resolve(
                batch, table: table, refusal: failure, judge: judge,
                now: { self.now }, send: { self.request($0, table: table) }
            )
        }
    }

    /// One request, unless the lease was lost.
    private func request(_ rows: ArraySlice<OutboxRow>, parsed: [JSONValue]? = nil, table: String) -> TransportOutcome {
        requests += 1
        guard control.maySend() else {
            return .failed(.leaseLost)
        }
        let started = ContinuousClock.now
        let outcome = transport.send(rows, parsed: parsed, to: table)
        spool.metrics.uploaded(table: table, rows: rows.count, duration: ContinuousClock.now - started)
        if case .answered(let outcomes) = outcome, schemas.validator(for: table) != nil,
            outcomes.contains(where: { if case .invalid = $0 { true } else { false } }) {
            remoteRejected = true
        }
        if case .failed(let failure) = outcome, failure.suspectsSchemaChange {
            remoteRejected = true
        }
        return outcome
    }

    /// The uploader stops: the transport closes its connections and finalizes what is done.
    func finish() {
        transport.finish(finalizing: control.maySend())
    }

    // MARK: Logging

    private func log(_ resolution: BatchResolution, table: String) {
        if !resolution.deadLettered.isEmpty {
            let reasons = Set(resolution.deadLettered.map(\.reason.reason)).sorted().joined(separator: ",")
            logger.info("rows moved to dead_letters", metadata: ["spool.table": "\(table)", "spool.rows": "\(resolution.deadLettered.count)", "spool.reasons": "\(reasons)"])
        }
        switch resolution.tableOutcome {
        case .failed(let backoffUntil, let error):
            logger.info("request failed; backing off", metadata: [
                "spool.table": "\(table)", "spool.batch_rows": "\(resolution.retried.count)", "spool.error": "\(error)",
                "spool.backoff_ms": "\(backoffUntil - now)",
            ])
        case .paused(let reason, let error, _):
            logger.info("table paused: BigQuery refuses it; its rows wait", metadata: [
                "spool.table": "\(table)", "spool.reason": "\(reason)", "spool.error": "\(error)",
            ])
        case .succeeded, nil:
            break
        }
    }
}
