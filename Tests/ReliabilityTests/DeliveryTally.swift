import Foundation
import Spool
import SpoolSchema
import SpoolTestSupport

/// What became of the events a scenario appended: the figures every reliability test reports and checks.
struct DeliveryTally: CustomStringConvertible {
    var appended = 0
    /// Acknowledged events found in BigQuery (the emulator), each counted once.
    var delivered = 0
    /// Acknowledged events found in dead_letters.
    var deadLettered = 0
    /// Extra copies in BigQuery (the emulator ignores insertId, so a request it stored but never answered shows).
    var duplicated = 0
    /// Acknowledged events neither delivered nor dead-lettered.
    var lost = 0
    var lostExamples: [String] = []

    init(acknowledged: Set<String>, stored: [String], deadLettered: Set<String>) {
        let storedSet = Set(stored)
        appended = acknowledged.count
        delivered = acknowledged.intersection(storedSet).count
        self.deadLettered = acknowledged.intersection(deadLettered).subtracting(storedSet).count
        duplicated = stored.count - storedSet.count
        let missing = acknowledged.subtracting(storedSet).subtracting(deadLettered)
        lost = missing.count
        lostExamples = Array(missing.sorted().prefix(5))
    }

    var json: String {
        #"{"appended":\#(appended),"delivered":\#(delivered),"dead_lettered":\#(deadLettered),"duplicated":\#(duplicated),"lost":\#(lost)}"#
    }

    var description: String { json }

    /// Prints the figures on one line that scripts/soak sums: `reliability-tally <scenario> {json}`.
    func report(_ scenario: String) {
        print("reliability-tally \(scenario) \(json)")
    }
}

extension Spool {
    /// The event ids of every dead letter.
    func deadLetteredEventIds() throws -> Set<String> {
        Set(try deadLetters(matching: DeadLetterFilter(limit: 1_000_000)).compactMap { letter in
            (try? JSONParser.parse(letter.payload))?.objectValue?["event_id"]?.stringValue
        })
    }
}

/// The `ack <id>` lines of a spool-torture child's output.
func acknowledgedIds(in output: String) -> [String] {
    output.split(separator: "\n").filter { $0.hasPrefix("ack ") }.map { String($0.dropFirst(4)) }
}

/// Append latencies in microseconds, summarised as percentiles for the notes (never asserted on).
struct LatencySample {
    private(set) var micros: [Double] = []

    mutating func record(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        micros.append(Double(seconds) * 1e6 + Double(attoseconds) / 1e12)
    }

    func percentile(_ p: Double) -> Double {
        guard !micros.isEmpty else { return 0 }
        let sorted = micros.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
    }

    var summary: String {
        String(format: "n=%d p50=%.0fus p99=%.0fus max=%.0fus", micros.count, percentile(0.5), percentile(0.99), micros.max() ?? 0)
    }
}

/// Uploader settings that keep reliability scenarios quick: short backoff and timeouts, no credentials.
func quickUploaderConfiguration() -> UploaderConfiguration {
    var configuration = UploaderConfiguration()
    configuration.initialBackoff = .milliseconds(50)
    configuration.maxBackoff = .milliseconds(500)
    configuration.requestTimeout = .seconds(5)
    configuration.connectTimeout = .seconds(1)
    configuration.pollInterval = .milliseconds(50)
    configuration.leaseDuration = .seconds(3)
    configuration.credentials = .none
    configuration.batchRows = 200
    return configuration
}

/// A valid search event for the seed's user_search_events table.
func searchEvent(_ id: String, index: Int) -> String {
    SeedEvents.row(table: "user_search_events", eventID: id, index: index)
}

/// Runs `body` until it returns true or the time is up; returns whether it succeeded.
@discardableResult
func waitUntil(_ timeout: Duration, pollEvery interval: Duration = .milliseconds(50), _ body: () throws -> Bool) rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try body() { return true }
        Thread.sleep(forTimeInterval: Double(interval.components.attoseconds) / 1e18 + Double(interval.components.seconds))
    }
    return try body()
}

/// Runs an uploader's `run()` on a thread of its own, so a synchronous test can shut it down and wait.
final class RunningUploader: Sendable {
    let uploader: SpoolUploader
    private let finished = DispatchSemaphore(value: 0)

    init(_ uploader: SpoolUploader) {
        self.uploader = uploader
        let finished = finished
        Thread {
            let done = DispatchSemaphore(value: 0)
            Task {
                try? await uploader.run()
                done.signal()
            }
            done.wait()
            finished.signal()
        }.start()
    }

    /// Triggers a graceful shutdown and waits (at most `timeout`) for `run()` to return; returns whether it did.
    @discardableResult
    func shutDown(timeout: Duration = .seconds(60)) -> Bool {
        uploader.triggerGracefulShutdown()
        return finished.wait(timeout: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) == .success
    }
}

/// A test set-up step failed.
struct ScenarioError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// scripts/soak varies the scenarios' seeds per round through SPOOL_SOAK_SEED.
func soakSeed(_ base: UInt64) -> UInt64 {
    base &+ (ProcessInfo.processInfo.environment["SPOOL_SOAK_SEED"].flatMap(UInt64.init) ?? 0) &* 1_000_003
}
