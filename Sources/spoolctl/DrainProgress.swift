import Foundation
import Spool
import Synchronization

/// Progress of `spoolctl drain` on stdout: a redrawn bar on a terminal, a plain line every few seconds otherwise.
final class DrainProgress: Sendable {
    private struct State {
        var resolved = 0
        var delivered = 0
        var deadLettered = 0
        var requests = 0
        var lastDraw: ContinuousClock.Instant?
        var drewBar = false
    }

    private let total: Int
    private let onTerminal: Bool
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    init(total: Int, onTerminal: Bool) {
        self.total = total
        self.onTerminal = onTerminal
    }

    /// One applied batch: rows delivered or dead-lettered are done; retried rows are not.
    func record(table: String, batch: DeliveryReport) {
        let line: String? = state.withLock { state in
            state.delivered += batch.delivered
            state.deadLettered += batch.deadLettered
            state.resolved += batch.delivered + batch.deadLettered
            state.requests += batch.requests
            let now = ContinuousClock.now
            let interval: Duration = onTerminal ? .milliseconds(100) : .seconds(2)
            if let last = state.lastDraw, now - last < interval { return nil }
            state.lastDraw = now
            if onTerminal { state.drewBar = true }
            return render(state, table: table)
        }
        guard let line else { return }
        if onTerminal {
            Output.raw("\r\u{1B}[2K" + line)
        } else {
            Output.line(line)
        }
    }

    /// Ends the bar's line and returns what was done.
    func finish() -> (delivered: Int, deadLettered: Int, requests: Int, seconds: Double) {
        let state = state.withLock { $0 }
        if onTerminal && state.drewBar {
            Output.raw("\r\u{1B}[2K" + render(state, table: nil) + "\n")
        }
        return (state.delivered, state.deadLettered, state.requests, elapsedSeconds)
    }

    private var elapsedSeconds: Double {
        let elapsed = ContinuousClock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    private func render(_ state: State, table: String?) -> String {
        let seconds = max(elapsedSeconds, 0.001)
        let rate = Double(state.resolved) / seconds
        let remaining = max(0, total - state.resolved)
        let eta = remaining == 0 ? "0s" : rate > 0 ? TimeText.span(millis: Int64(Double(remaining) / rate * 1000)) : "?"
        let counts = "\(NumberText.grouped(state.resolved))/\(NumberText.grouped(total)) rows"
        let speed = "\(NumberText.grouped(Int(rate))) rows/s"
        if onTerminal {
            let width = 20
            let filled = total > 0 ? min(width, state.resolved * width / total) : width
            let bar = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
            return Column.fit("\(bar) \(counts)  \(speed)  \(NumberText.grouped(remaining)) left  ETA \(eta)", 79)
        }
        let current = table.map { " (\($0))" } ?? ""
        return "sent \(counts)\(current), \(speed), \(NumberText.grouped(remaining)) remaining, ETA \(eta)"
    }
}
