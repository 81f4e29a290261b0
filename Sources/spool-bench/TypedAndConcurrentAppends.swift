import Foundation
import Spool
import SpoolTestSupport
import Synchronization

/// The seed's search event as a typed `Encodable`, the shape `seedEvent` writes by hand.
struct BenchSearchEvent: Encodable {
    var eventId: String
    var userId: String
    var sessionId: String
    var query = "organic gluten free bananas"
    var intent = "product_search"
    var alphaValue = 0.65
    var resultsCount: Int
    /// JSON text in a STRING column, as the seed's table has it.
    var categories = #"["produce","organic"]"#
    var responseTimeMs: Int
    var timestamp = Date()

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", query, intent, alphaValue = "alpha_value"
        case resultsCount = "results_count", categories, responseTimeMs = "response_time_ms", timestamp
    }

    init(_ index: Int) {
        eventId = "evt-\(index)-7f3c2a9e"
        userId = "user-\(index % 5000)"
        sessionId = "sess-\(index % 800)-b1"
        resultsCount = index % 50
        responseTimeMs = index % 900
    }
}

extension AppendBenchmark {
    /// `Spool.append(_ event:)` (encoding included) next to what Foundation's JSONEncoder alone costs per event.
    static func typedAppends(directory: URL, count: Int) throws -> (typedP50: Double, jsonEncoderMicros: Double) {
        let spool = try Spool(path: directory.appendingPathComponent("typed.db").path)
        defer { spool.close() }
        var typed = Latencies(capacity: count)
        for index in 0..<count {
            let event = BenchSearchEvent(index)
            let before = monotonicNanoseconds()
            try spool.append(event, to: "user_search_events")
            typed.record(monotonicNanoseconds() - before)
        }
        report("Spool.append(Encodable)", typed)

        // Configured as Spool's fallback encoder was before the one-pass encoder: ISO-8601 microsecond timestamps.
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        // The benchmark encodes on one thread: the formatter is never shared.
        nonisolated(unsafe) let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(formatter.string(from: date))
        }
        let events = (0..<count).map(BenchSearchEvent.init)
        let started = monotonicNanoseconds()
        for event in events { _ = try encoder.encode(event) }
        let jsonEncoderMicros = Double(monotonicNanoseconds() - started) / 1000 / Double(count)
        return (typed.percentile(50), jsonEncoderMicros)
    }

    /// Appends from `threads` threads at once, flat out: the group commit's throughput, and each append's latency.
    static func concurrentAppends(
        directory: URL, threads: Int, count: Int, durability: Spool.Durability = .normal
    ) throws -> (rate: Double, latencies: Latencies) {
        var configuration = Spool.Configuration()
        configuration.durability = durability
        let spool = try Spool(path: directory.appendingPathComponent("threads-\(threads)-\(durability).db").path, configuration: configuration)
        defer { spool.close() }
        let run = try appendFlatOut(spool, threads: threads, count: count, from: 0)
        let rate = Double(run.latencies.samples.count) / run.seconds
        let syncs = durability == .full ? String(format: "  %.1f rows per fsync", Double(run.latencies.samples.count) / Double(max(1, spool.outbox.appendSyncCount))) : ""
        FileHandle.standardError.write(Data(String(
            format: "Spool.append (%@) from %d threads at once %9.0f appends/s  p50 %7.1f µs  p99 %7.1f µs%@\n",
            durability.rawValue, threads, rate, run.latencies.percentile(50), run.latencies.percentile(99), syncs
        ).utf8))
        return (rate, run.latencies)
    }

    /// `count` appends split over `threads` threads, each timed; seed events from index `first` on.
    static func appendFlatOut(_ spool: Spool, threads: Int, count: Int, from first: Int) throws -> (seconds: Double, latencies: Latencies) {
        let done = DispatchGroup()
        let failures = Atomic<Int>(0)
        let all = LockedValue(Latencies(capacity: count))
        let started = monotonicNanoseconds()
        for thread in 0..<threads {
            done.enter()
            Thread {
                var latencies = Latencies(capacity: count / threads)
                for index in 0..<(count / threads) {
                    let payload = seedEvent(first + thread * count + index)
                    let before = monotonicNanoseconds()
                    if (try? spool.append(json: payload, to: "user_search_events")) == nil { failures.add(1, ordering: .relaxed) }
                    latencies.record(monotonicNanoseconds() - before)
                }
                all.update { $0.merge(latencies) }
                done.leave()
            }.start()
        }
        done.wait()
        let seconds = Double(monotonicNanoseconds() - started) / 1e9
        guard failures.load(ordering: .relaxed) == 0 else { throw BenchError("\(failures.load(ordering: .relaxed)) concurrent appends failed") }
        return (seconds, all.value)
    }
}
