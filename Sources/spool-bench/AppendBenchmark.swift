import Foundation
import Spool
import SpoolStorage
import SpoolTestSupport
import Synchronization

/// `scripts/bench append`: the raw C loop, Spool.append alone, and Spool.append beside a drainer, in one run.
enum AppendBenchmark {
    static func run(count: Int, drainRate: Int) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        // (a) The physical limit, on a file with Spool's schema.
        let rawPath = directory.appendingPathComponent("raw.db").path
        try Spool(path: rawPath).close()
        let raw = try rawInsertLoop(path: rawPath, count: count, schemaFrom: rawPath)
        let bare = try rawInsertLoop(path: directory.appendingPathComponent("bare.db").path, count: count, schemaFrom: nil)
        report("raw C loop (outbox schema)", raw)
        report("raw C loop (bare table)", bare)

        // (b) Spool.append(json:to:) on one thread, as fast as it goes.
        let spool = try Spool(path: directory.appendingPathComponent("spool.db").path)
        var alone = Latencies(capacity: count)
        let started = monotonicNanoseconds()
        for index in 0..<count {
            let payload = seedEvent(index)
            let before = monotonicNanoseconds()
            try spool.append(json: payload, to: "user_search_events")
            alone.record(monotonicNanoseconds() - before)
        }
        let elapsed = Double(monotonicNanoseconds() - started) / 1e9
        report("Spool.append", alone)
        // The checkpointer's writer-blocking steps during (b): every append of the process waits them out.
        let holds = spool.outbox.checkpointWriterHolds
        let holdMeanMicros = holds.count == 0 ? 0 : Double(holds.total.inNanoseconds) / 1000 / Double(holds.count)
        let holdMaxMicros = Double(holds.longest.inNanoseconds) / 1000
        FileHandle.standardError.write(Data(String(
            format: "%-44@ %d, mean %.0f µs, longest %.0f µs\n", "checkpoints holding writers back" as NSString,
            holds.count, holdMeanMicros, holdMaxMicros
        ).utf8))
        spool.close()

        // (c) Spool.append at a steady rate while another thread claims and acknowledges 500-row batches.
        let draining = try appendBesideDrainer(
            "Spool.append beside a drainer at \(drainRate)/s", path: directory.appendingPathComponent("draining.db").path, count: count, rate: drainRate
        ) { batch, _ in
            BatchResolution(delivered: batch.map(\.id), tableOutcome: .succeeded)
        }
        // (d) The same during an outage: every 500-row batch fails and is rescheduled (an unreachable endpoint
        // fails fast, so an uploader does this as often as its backoff allows).
        let outage = try appendBesideDrainer(
            "Spool.append beside 500-row reschedules", path: directory.appendingPathComponent("outage.db").path, count: count, rate: drainRate
        ) { batch, now in
            BatchResolution(
                retried: batch.map { .init(id: $0.id, notBefore: now + 3_600_000, error: "connection refused") },
                tableOutcome: .failed(backoffUntil: now + 1, error: "connection refused")
            )
        }

        // Strict mode and the validator on their own (the schemas issue's figures).
        let validation = try validationCost(directory: directory, count: min(count, 20_000))
        // Typed events (encoding included), and several threads appending at once.
        let typed = try typedAppends(directory: directory, count: min(count, 20_000))
        let oneThread = try concurrentAppends(directory: directory, threads: 1, count: min(count, 40_000)).rate
        let fourThreads = try concurrentAppends(directory: directory, threads: 4, count: min(count, 40_000)).rate
        let full = try fullDurability(directory: directory, count: min(count, 8_000))

        printJSON([
            "bench": "append",
            "raw_p50_us": raw.percentile(50), "raw_p99_us": raw.percentile(99), "raw_p999_us": raw.percentile(99.9),
            "bare_p50_us": bare.percentile(50), "bare_p99_us": bare.percentile(99),
            "spool_p50_us": alone.percentile(50), "spool_p99_us": alone.percentile(99),
            "spool_p999_us": alone.percentile(99.9), "spool_max_us": alone.max,
            "draining_p99_us": draining.latencies.percentile(99), "draining_p999_us": draining.latencies.percentile(99.9),
            "draining_max_us": draining.latencies.max, "drained_rows": draining.drained,
            "outage_p99_us": outage.latencies.percentile(99), "outage_p999_us": outage.latencies.percentile(99.9),
            "outage_max_us": outage.latencies.max, "outage_inline_checkpoints": outage.inlineCheckpoints,
            "checkpoint_holds": holds.count, "checkpoint_hold_mean_us": holdMeanMicros, "checkpoint_hold_max_us": holdMaxMicros,
            "appends_per_s": Double(count) / elapsed,
            "p50_ratio": alone.percentile(50) / raw.percentile(50), "p99_ratio": alone.percentile(99) / raw.percentile(99),
            "validate_us_per_row": validation.validateMicros, "strict_append_p50_us": validation.strictP50,
            "typed_append_p50_us": typed.typedP50, "jsonencoder_us_per_event": typed.jsonEncoderMicros,
            "one_thread_appends_per_s": oneThread, "four_threads_appends_per_s": fourThreads,
        ], full.jsonFields)
    }

    /// `spool-bench full`: only `.full` beside the raw FULL loop (the `full_*` keys of `append`), to try changes to
    /// group commit quickly.
    static func runFull(count: Int) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let full = try fullDurability(directory: directory, count: count)
        printJSON(["bench": "full"], full.jsonFields)
    }

    /// `.full` (an fsync per commit) from one, two and eight threads, beside the raw C loop with synchronous=FULL
    /// committing one row and 8 rows per transaction. An fsync's cost swings with whatever else the shared disk is
    /// doing, so the five alternate in rounds, each file kept open throughout: every figure samples the same moments.
    private static func fullDurability(directory: URL, count: Int) throws -> FullDurabilityFigures {
        var configuration = Spool.Configuration()
        configuration.durability = .full
        // Created by a .full spool, the raw loop's file has the same schema and pages as the spools it is beside.
        let rawPath = directory.appendingPathComponent("raw-full.db").path
        try Spool(path: rawPath, configuration: configuration).close()
        let rawLoop = try RawInsertLoop(path: rawPath, schemaFrom: rawPath, synchronous: "FULL")
        let spools = try [1, 2, 8].map { threads in
            (threads, try Spool(path: directory.appendingPathComponent("full-\(threads)t.db").path, configuration: configuration))
        }
        defer { for (_, spool) in spools { spool.close() } }
        let rounds = 8
        var raw = Latencies(capacity: count)
        var rawEightRowsSeconds = 0.0
        var runs = spools.map { _ in (seconds: 0.0, latencies: Latencies(capacity: count)) }
        for round in 0..<rounds {
            raw.merge(try rawLoop.run(count: count / rounds))
            rawEightRowsSeconds += try rawLoop.run(count: 2 * count / rounds, rowsPerTransaction: 8)
            for (slot, (threads, spool)) in spools.enumerated() {
                // Eight threads get twice the rows, so that each of them appends a fair share.
                let share = (threads == 8 ? 2 * count : count) / rounds
                let run = try appendFlatOut(spool, threads: threads, count: share, from: round * 2 * count)
                runs[slot].seconds += run.seconds
                runs[slot].latencies.merge(run.latencies)
            }
        }
        report("raw C loop, synchronous=FULL", raw)
        let rawEightRowsRate = Double(rounds * (2 * count / rounds)) / rawEightRowsSeconds
        FileHandle.standardError.write(Data(String(format: "raw C loop, synchronous=FULL, 8 rows per commit %9.0f rows/s\n", rawEightRowsRate).utf8))
        var figures: [(rate: Double, latencies: Latencies)] = []
        for ((threads, spool), run) in zip(spools, runs) {
            let rate = Double(run.latencies.samples.count) / run.seconds
            let rowsPerSync = Double(run.latencies.samples.count) / Double(max(1, spool.outbox.appendSyncCount))
            FileHandle.standardError.write(Data(String(
                format: "Spool.append, .full, %d thread(s)  %9.0f appends/s  p50 %7.1f µs  p99 %7.1f µs  %.1f rows per fsync\n",
                threads, rate, run.latencies.percentile(50), run.latencies.percentile(99), rowsPerSync
            ).utf8))
            figures.append((rate, run.latencies))
        }
        return FullDurabilityFigures(
            raw: raw, rawEightRowsRate: rawEightRowsRate, oneThread: figures[0], twoThreads: figures[1], eightThreads: figures[2]
        )
    }

    static func report(_ name: String, _ latencies: Latencies) {
        FileHandle.standardError.write(Data(String(
            format: "%-44@ p50 %7.1f µs  p99 %7.1f µs  p99.9 %8.1f µs  max %9.1f µs\n",
            name as NSString, latencies.percentile(50), latencies.percentile(99), latencies.percentile(99.9), latencies.max
        ).utf8))
    }

    /// Appends at `rate` while another thread claims 500-row batches and applies `resolve`'s verdict to each;
    /// reports the appends' latencies and the applies'.
    private static func appendBesideDrainer(
        _ name: String, path: String, count: Int, rate: Int, resolve: @escaping @Sendable ([OutboxRow], Int64) -> BatchResolution
    ) throws -> (latencies: Latencies, drained: Int, inlineCheckpoints: Int) {
        let spool = try Spool(path: path)
        defer { spool.close() }
        let done = Atomic<Bool>(false)
        let drained = Atomic<Int>(0)
        let acknowledgements = LockedValue(Latencies(capacity: count / 500 + 10))
        let drainer = Thread {
            while true {
                let finished = done.load(ordering: .acquiring)
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                guard let batch = try? spool.outbox.claim(table: "user_search_events", now: now, maxRows: 500, maxBytes: 5_000_000) else { return }
                if batch.count == 500 || (finished && !batch.isEmpty) {
                    let before = monotonicNanoseconds()
                    try? spool.outbox.apply(resolve(batch, now), table: "user_search_events", now: now)
                    let took = monotonicNanoseconds() - before
                    acknowledgements.update { $0.record(took) }
                    drained.add(batch.count, ordering: .relaxed)
                } else if finished {
                    return
                } else {
                    usleep(20_000)
                }
            }
        }
        drainer.start()
        var latencies = Latencies(capacity: count)
        let interval = 1_000_000_000 / UInt64(rate)
        let start = monotonicNanoseconds()
        for index in 0..<count {
            let due = start + UInt64(index) * interval
            var now = monotonicNanoseconds()
            while now < due {
                if due - now > 100_000 { usleep(UInt32((due - now) / 2000)) }
                now = monotonicNanoseconds()
            }
            let payload = seedEvent(index)
            let before = monotonicNanoseconds()
            try spool.append(json: payload, to: "user_search_events")
            latencies.record(monotonicNanoseconds() - before)
        }
        done.store(true, ordering: .releasing)
        while drained.load(ordering: .relaxed) < count { usleep(10_000) }
        report(name, latencies)
        report("  each 500-row apply", acknowledgements.value)
        // Commits that found the WAL at its hard limit and checkpointed it themselves (each stalls its append).
        let inline = spool.outbox.checkpointCounts.inline
        FileHandle.standardError.write(Data("  commits that had to checkpoint the WAL themselves: \(inline)\n".utf8))
        return (latencies, drained.load(ordering: .relaxed), inline)
    }

    private static func validationCost(directory: URL, count: Int) throws -> (validateMicros: Double, strictP50: Double) {
        let schema = try loadSeedSchema()
        let validator = RowValidator(schema: schema)
        let rows = (0..<count).map(seedEvent)
        var invalid = 0
        let started = monotonicNanoseconds()
        for row in rows where validator.validate(json: row) != nil { invalid += 1 }
        let validateMicros = Double(monotonicNanoseconds() - started) / 1000 / Double(count)
        guard invalid == 0 else { throw BenchError("the benchmark's seed event is invalid against its schema") }

        var configuration = Spool.Configuration()
        configuration.schemas = ["user_search_events": schema]
        configuration.strictSchemas = true
        let spool = try Spool(path: directory.appendingPathComponent("strict.db").path, configuration: configuration)
        defer { spool.close() }
        var strict = Latencies(capacity: count)
        for row in rows {
            let before = monotonicNanoseconds()
            try spool.append(json: row, to: "user_search_events")
            strict.record(monotonicNanoseconds() - before)
        }
        report("Spool.append, strict mode", strict)
        return (validateMicros, strict.percentile(50))
    }

    /// examples/leafloaf/schemas/user_search_events.json, found from the working directory (scripts/bench runs
    /// from the repository root).
    private static func loadSeedSchema() throws -> TableSchema {
        let path = FileManager.default.currentDirectoryPath + "/examples/leafloaf/schemas/user_search_events.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError("cannot read \(path): run from the repository root")
        }
        return try TableSchema(jsonData: data, file: path)
    }
}

/// `.full` figures of one run: the raw FULL loop, one row and 8 rows per commit, and Spool from 1, 2 and 8 threads.
struct FullDurabilityFigures {
    let raw: Latencies
    /// One thread committing 8 rows per transaction: 8 threads' group commit if waking threads cost nothing.
    let rawEightRowsRate: Double
    let oneThread: (rate: Double, latencies: Latencies)
    let twoThreads: (rate: Double, latencies: Latencies)
    let eightThreads: (rate: Double, latencies: Latencies)

    /// The `full_*` keys of `scripts/bench append` and `spool-bench full`.
    var jsonFields: [(key: String, value: Any)] {
        [
            ("raw_full_p50_us", raw.percentile(50)), ("full_p50_us", oneThread.latencies.percentile(50)),
            ("full_p99_us", oneThread.latencies.percentile(99)), ("full_1t_appends_per_s", oneThread.rate),
            ("full_2t_appends_per_s", twoThreads.rate), ("full_8t_appends_per_s", eightThreads.rate),
            ("full_8t_p99_us", eightThreads.latencies.percentile(99)),
            ("raw_full_8rows_per_s", rawEightRowsRate), ("full_8t_pct_of_raw_8rows", 100 * eightThreads.rate / rawEightRowsRate),
        ]
    }
}
