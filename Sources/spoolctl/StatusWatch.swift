import ArgumentParser
import Foundation
import Spool

/// `spoolctl status --watch [INTERVAL]`: the status report again every INTERVAL (2 s by default), with the rates of
/// appended and delivered rows between refreshes and the time until the backlog is gone at the current drain rate.
/// On a terminal each frame replaces the last (cursor home, clear screen); elsewhere frames follow one another.
/// Ctrl-C (or SIGTERM) ends it with exit code 0: watching is not a health check.
struct StatusWatch {
    let location: SpoolOptions
    let interval: DurationArgument
    let deadLettersSince: PointInTime?
    let maxAge: DurationArgument?

    /// Runs the watch for `spoolctl status --watch [INTERVAL]`.
    static func run(_ command: Status) throws {
        guard command.watch else {
            throw ValidationError("an interval (\(command.interval?.description ?? "")) needs --watch")
        }
        guard command.format == .text else {
            throw ValidationError("--watch draws text for people; scripts read one `status --format json` at a time")
        }
        let interval = command.interval ?? DurationArgument(argument: "2s")!
        guard interval.milliseconds >= 100 else {
            throw ValidationError("the --watch interval must be at least 100ms (got \(interval))")
        }
        try StatusWatch(location: command.location, interval: interval, deadLettersSince: command.since, maxAge: command.maxAge).run()
    }

    func run() throws {
        let file = try location.loadConfiguration()
        let onTerminal = Output.isTerminal
        let interrupt = InterruptHandler.install(secondSignalExits: false, announce: {})
        var previous: StatusRates.Sample?
        while !interrupt.flag.isRaised {
            let (path, status, api, streams) = try look(file)
            let now = TimeText.nowMillis()
            let sample = StatusRates.Sample(status, at: now)
            let findings = StatusFindings.find(in: status, now: now, deadLettersSince: deadLettersSince?.iso, maxAge: maxAge?.milliseconds)
            var report = StatusReport(path: path, status: status, findings: findings, now: now)
            report.api = api
            report.writeStreams = streams
            let heading = "every \(TimeText.span(millis: interval.milliseconds)), \(TimeText.iso(millis: now)) (Ctrl-C quits)"
            let rates = previous.map { StatusRates(from: $0, to: sample).lines() } ?? ["rates   from the next refresh on"]
            let frame = ([heading, "", report.text(), ""] + rates).joined(separator: "\n")
            // On a terminal: cursor home and clear the screen, so the frame is redrawn in place.
            Output.raw(onTerminal ? "\u{1B}[H\u{1B}[2J" + frame + "\n" : frame + "\n\n")
            previous = sample
            sleep(until: ContinuousClock.now + interval.duration, unless: interrupt.flag)
        }
    }

    /// Opens the spool anew for every frame: a look at a file no process has open is immutable (no locks, no
    /// -wal/-shm) and would never see later changes, and the application may open or close the file meanwhile.
    private func look(_ file: SpoolConfigurationFile) throws -> (path: String, status: SpoolStatus, api: DeliveryAPI?, streams: [WriteStreamState]) {
        let spool = try location.openSpool(file, readOnly: true)
        defer { spool.close() }
        return (spool.path, try spool.status(), (try? DestinationLookup.destination(file: file, spool: spool))?.api, try spool.writeStreams())
    }

    /// Sleeps in short steps so that Ctrl-C ends the watch at once.
    private func sleep(until deadline: ContinuousClock.Instant, unless flag: InterruptFlag) {
        while !flag.isRaised, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }
}

/// Rows per second between two status readings, from the file's running totals.
struct StatusRates {
    /// What one reading counts, summed over tables.
    struct Sample {
        let at: Int64
        let pending: Int
        let delivered: Int64
        /// Every row that ever entered the outbox and is still accounted for: pending, delivered, dropped by the cap,
        /// or in dead letters (purging dead letters lowers it; the rate never goes below zero for that).
        let appended: Int64

        init(_ status: SpoolStatus, at now: Int64) {
            at = now
            pending = status.pendingRows
            delivered = status.tables.reduce(0) { $0 + $1.deliveredRows }
            appended = status.tables.reduce(Int64(status.pendingRows)) {
                $0 + $1.deliveredRows + $1.droppedRows + Int64($1.deadLetters.values.reduce(0, +))
            }
        }
    }

    let seconds: Double
    let appendedPerSecond: Double
    let deliveredPerSecond: Double
    /// How fast the backlog shrinks (negative while it grows).
    let drainPerSecond: Double
    let pending: Int

    init(from earlier: Sample, to later: Sample) {
        seconds = max(Double(later.at - earlier.at) / 1000, 0.001)
        appendedPerSecond = max(0, Double(later.appended - earlier.appended) / seconds)
        deliveredPerSecond = max(0, Double(later.delivered - earlier.delivered) / seconds)
        drainPerSecond = Double(earlier.pending - later.pending) / seconds
        pending = later.pending
    }

    /// Seconds until nothing is pending, if the backlog keeps shrinking as it did; nil when it does not shrink.
    var secondsToEmpty: Double? {
        guard pending > 0 else { return 0 }
        return drainPerSecond > 0 ? Double(pending) / drainPerSecond : nil
    }

    func lines() -> [String] {
        let window = String(format: "%.1f", seconds)
        let first = "rates   appended \(Self.rate(appendedPerSecond)) rows/s, delivered \(Self.rate(deliveredPerSecond)) rows/s (last \(window)s)"
        let eta: String
        switch secondsToEmpty {
        case 0?: eta = "empty"
        case let seconds?: eta = "empty in ~\(TimeText.span(millis: Int64(seconds * 1000))) at the current drain rate (\(Self.rate(drainPerSecond)) rows/s net)"
        case nil: eta = "not draining: \(NumberText.grouped(pending)) pending and not falling"
        }
        return [first, "ETA     \(eta)"]
    }

    private static func rate(_ value: Double) -> String {
        value >= 100 ? NumberText.grouped(Int(value.rounded())) : String(format: "%.1f", value)
    }
}
