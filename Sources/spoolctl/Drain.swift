import ArgumentParser
import Foundation
import Spool

struct Drain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload everything pending now, table by table, with the library's own uploader.",
        discussion: """
            The destination comes from the configuration file, else from the spool file itself (an uploader \
            records it when it starts), so a backlog can be drained with credentials alone.

            Only one uploader drains a spool at a time: when another one holds the lease (e.g. a running API \
            process), drain refuses and names it, or waits for it with --wait-for-lease.

            Ctrl-C stops after the batch in flight; nothing is lost (a second Ctrl-C stops at once, gives up the \
            uploader lease and exits 130 — 143 for SIGTERM: rows in flight stay pending and are sent again later).

            Exit codes: 0 the outbox (or the chosen tables) is empty; 2 rows remain — a paused table, the \
            timeout, Ctrl-C, rows waiting for a later retry, or another uploader's lease — and the reason is \
            printed; 1 an error (a --table the spool has never seen included).
            """
    )

    @OptionGroup var location: SpoolOptions
    @OptionGroup var credentials: CredentialsOption

    @Option(name: .customLong("table"), help: ArgumentHelp("Drain only this event table (repeatable).", valueName: "name"))
    var tables: [String] = []

    @Option(help: ArgumentHelp("Stop after this long, e.g. 90s or 10m (default: until nothing more can be sent now).", valueName: "duration"))
    var timeout: DurationArgument?

    @Flag(name: .customLong("wait-for-lease"), help: "Wait for another uploader's lease instead of refusing to run beside it.")
    var waitForLease = false

    func run() throws {
        let setup = try UploaderSetup(location: location, credentials: credentials, logger: nil)
        let (spool, destination, uploader) = (setup.spool, setup.destination, setup.uploader)
        defer { spool.close() }
        let only = tables.isEmpty ? nil : Set(tables)

        let before = try spool.status()
        let known = Set(before.tables.map(\.table))
        let unknown = tables.filter { !known.contains($0) }
        guard unknown.isEmpty else {
            let knownText = known.isEmpty ? "it has none" : "known: " + known.sorted().joined(separator: ", ")
            throw CommandFailure("the spool \(spool.path) has no rows, dead letters or state for \(unknown.joined(separator: ", ")) (\(knownText)): nothing to drain")
        }
        let pending = before.tables.filter { only?.contains($0.table) ?? true }.reduce(0) { $0 + $1.pendingRows }
        let now = TimeText.nowMillis()
        if let lease = before.lease, lease.expiresAt > now {
            if waitForLease {
                Diagnostics.note("waiting for the uploader lease held by \(lease.holder) (since \(TimeText.short(millis: lease.acquiredAt)))…")
            }
        }
        Output.line("draining \(NumberText.grouped(pending)) pending rows to \(destination.project):\(destination.dataset) at \(destination.endpoint) (credentials: \(uploader.credentialsDescription))")

        let interrupt = InterruptHandler.install(
            announce: { Diagnostics.warning("interrupted: stopping after the batch in flight (Ctrl-C again to stop at once)") },
            beforeExit: { uploader.releaseLeaseNow() }
        )
        let progress = DrainProgress(total: pending, onTerminal: Output.isTerminal)
        let outcome = try uploader.drain(
            timeout: timeout?.duration,
            tables: only,
            leasePolicy: waitForLease ? .wait : .refuse,
            shouldStop: { [flag = interrupt.flag] in flag.isRaised },
            progress: { table, batch in progress.record(table: table, batch: batch) }
        )
        let done = progress.finish()
        withExtendedLifetime(interrupt) {}
        let rate = done.seconds > 0 ? Int(Double(done.delivered + done.deadLettered) / done.seconds) : 0
        Output.line("delivered \(NumberText.grouped(done.delivered)) rows, dead-lettered \(NumberText.grouped(done.deadLettered)), in \(NumberText.grouped(done.requests)) requests, \(String(format: "%.1f", done.seconds)) s (\(NumberText.grouped(rate)) rows/s); \(NumberText.grouped(outcome.remainingRows)) rows remain")
        if done.deadLettered > 0 {
            Diagnostics.note("\(NumberText.grouped(done.deadLettered)) rows were dead-lettered: see spoolctl dead-letters list")
        }
        guard outcome.remainingRows > 0 else { return }
        for reason in try reasons(outcome, spool: spool, only: only) {
            Diagnostics.note("rows remain: \(reason)")
        }
        throw ExitCode(2)
    }

    /// Why rows are left, most specific first.
    private func reasons(_ outcome: SpoolUploader.DrainOutcome, spool: Spool, only: Set<String>?) throws -> [String] {
        var reasons: [String] = []
        if let lease = outcome.leaseHeldBy {
            let now = TimeText.nowMillis()
            let advice = waitForLease ? "it did not free the lease in time" : "pass --wait-for-lease to wait for it, or stop it first"
            reasons.append("another uploader holds the lease: \(lease.holder), since \(TimeText.short(millis: lease.acquiredAt)), expires \(TimeText.relative(millis: lease.expiresAt, now: now)); nothing was sent (\(advice))")
            return reasons
        }
        if outcome.stopped { reasons.append("stopped by a signal after the batch in flight") }
        if outcome.timedOut, let timeout { reasons.append("the timeout of \(timeout) passed") }
        let now = TimeText.nowMillis()
        for table in try spool.status().tables where table.pendingRows > 0 && (only?.contains(table.table) ?? true) {
            let rows = "\(table.table) (\(NumberText.grouped(table.pendingRows)) rows)"
            if table.isPaused {
                reasons.append("\(rows) is paused: \(table.pauseReason ?? "no reason recorded")\(table.lastError.map { " — \($0)" } ?? "")")
            } else if let backoff = table.backoffUntil, backoff > now {
                reasons.append("\(rows) is backing off until \(TimeText.short(millis: backoff))\(table.lastError.map { " — \($0)" } ?? "")")
            } else if let next = table.nextAttemptAt, next > now {
                reasons.append("\(rows) waits for its next retry \(TimeText.relative(millis: next, now: now))")
            } else if !outcome.stopped && !outcome.timedOut {
                reasons.append("\(rows) was appended while draining")
            }
        }
        return reasons
    }
}
