import ArgumentParser
import Foundation
import Spool

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show what waits in the spool, what failed, and who drains it.",
        discussion: """
            Reads the spool file read-only, so it is safe beside a running API process.

            Exit codes: 0 healthy; 2 something needs attention — a paused table, dead letters (newer than \
            --since, when given), or pending rows older than --max-age; 1 an error (e.g. no such file). \
            Suits a health check: spoolctl status --since 1h --max-age 15m.
            """
    )

    @OptionGroup var location: SpoolOptions

    @Option(help: "Output format: text, or json (a stable shape, documented in the README).")
    var format: OutputFormat = .text

    @Option(help: ArgumentHelp("Only dead letters newer than this need attention: ISO-8601, or a duration ago such as 1h or 30m. Default: every dead letter does.", valueName: "time"))
    var since: PointInTime?

    @Option(name: .customLong("max-age"), help: ArgumentHelp("Pending rows older than this need attention, e.g. 15m.", valueName: "duration"))
    var maxAge: DurationArgument?

    @Flag(help: "Show the status again every INTERVAL, with append and delivery rates, until Ctrl-C (exit 0).")
    var watch = false

    @Argument(help: ArgumentHelp("Refresh interval of --watch, e.g. 2s or 1m (default 2s).", valueName: "interval"))
    var interval: DurationArgument?

    func run() throws {
        if watch || interval != nil {
            return try StatusWatch.run(self)
        }
        let file = try location.loadConfiguration()
        let spool = try location.openSpool(file, readOnly: true)
        defer { spool.close() }
        let status = try spool.status()
        let now = TimeText.nowMillis()
        let findings = StatusFindings.find(in: status, now: now, deadLettersSince: since?.iso, maxAge: maxAge?.milliseconds)
        var report = StatusReport(path: spool.path, status: status, findings: findings, now: now)
        report.durability = spool.configuration.durability
        report.fullDurabilityTables = spool.configuration.fullDurabilityTables.sorted()
        report.api = (try? DestinationLookup.destination(file: file, spool: spool))?.api
        report.writeStreams = try spool.writeStreams()
        switch format {
        case .text: Output.line(report.text())
        case .json: Output.line(report.json().prettyPrinted())
        }
        if !findings.isEmpty {
            throw ExitCode(2)
        }
    }
}

/// What in a status needs an operator: the conditions behind exit code 2.
enum StatusFindings {
    struct Finding {
        /// `paused`, `deadLetters` or `stale`.
        var kind: String
        var table: String
        var message: String
    }

    static func find(in status: SpoolStatus, now: Int64, deadLettersSince: String?, maxAge: Int64?) -> [Finding] {
        var findings: [Finding] = []
        for table in status.tables {
            if table.isPaused {
                findings.append(Finding(kind: "paused", table: table.table, message: "\(table.table) is paused (\(table.pauseReason ?? "no reason recorded"))"))
            }
            let letters = table.deadLetters.values.reduce(0, +)
            if letters > 0, let newest = table.newestDeadLetterAt, deadLettersSince.map({ newest >= $0 }) ?? true {
                let window = deadLettersSince.map { " (newest \(TimeText.short(iso: newest)), since \(TimeText.short(iso: $0)))" } ?? ""
                findings.append(Finding(kind: "deadLetters", table: table.table, message: "\(table.table) has \(NumberText.grouped(letters)) dead letters\(window)"))
            }
            if let maxAge, table.pendingRows > 0, let oldest = table.oldestCreatedAt, now - oldest > maxAge {
                findings.append(Finding(kind: "stale", table: table.table, message: "\(table.table) has rows pending for \(TimeText.span(millis: now - oldest)) (over \(TimeText.span(millis: maxAge)))"))
            }
        }
        return findings
    }
}
