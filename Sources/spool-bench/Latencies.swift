import Foundation

/// Per-operation latencies in nanoseconds, summarized as percentiles in microseconds.
struct Latencies {
    private(set) var samples: [UInt64] = []

    init(capacity: Int) {
        samples.reserveCapacity(capacity)
    }

    mutating func record(_ nanoseconds: UInt64) {
        samples.append(nanoseconds)
    }

    mutating func merge(_ other: Latencies) {
        samples += other.samples
    }

    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        let index = Swift.min(sorted.count - 1, Int((Double(sorted.count) * p / 100).rounded(.up)) - 1)
        return Double(sorted[Swift.max(index, 0)]) / 1000
    }

    var max: Double { Double(samples.max() ?? 0) / 1000 }
}

/// Monotonic nanoseconds, cheap enough to wrap a ~10 µs operation.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// CPU time of the calling thread, nanoseconds.
func threadCPUNanoseconds() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Peak resident set size of this process, in MiB.
func maxResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

func round1(_ value: Double) -> Double {
    (value * 10).rounded() / 10
}

/// A ~290-byte search event in the shape of the seed's table (`categories` JSON text), different for each index.
func seedEvent(_ index: Int) -> String {
    #"{"event_id":"evt-\#(index)-7f3c2a9e","user_id":"user-\#(index % 5000)","session_id":"sess-\#(index % 800)-b1","query":"organic gluten free bananas","intent":"product_search","alpha_value":0.65,"results_count":\#(index % 50),"categories":"[\"produce\",\"organic\"]","response_time_ms":\#(index % 900),"timestamp":"2026-11-26T09:40:00.123456Z"}"#
}

func scratchDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("spool-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func printJSON(_ fields: KeyValuePairs<String, Any>, _ more: [(key: String, value: Any)] = []) {
    let body = (Array(fields) + more).map { key, value -> String in
        switch value {
        case let text as String: return "\"\(key)\":\"\(text)\""
        case let number as Double: return "\"\(key)\":\(round1(number))"
        default: return "\"\(key)\":\(value)"
        }
    }.joined(separator: ",")
    print("{\(body)}")
}
