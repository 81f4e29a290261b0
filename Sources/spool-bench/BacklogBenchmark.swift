import CSQLite
import Foundation
import Spool
import SpoolTestSupport

/// `scripts/bench backlog`: what a big backlog costs to watch. Builds a spool of seed events through `Spool.append`
/// from four threads (they share transactions through group commit, so the file is exactly what appends produce),
/// then times the real `spoolctl status` (text and JSON), measures the CPU an idle uploader process uses while
/// BigQuery refuses connections — with a small and with the big backlog — and append latency on the big file
/// beside the same run's raw C loop.
enum BacklogBenchmark {
    static func run(rows: Int, smallRows: Int, idleSeconds: Int, appends: Int) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let bigPath = directory.appendingPathComponent("backlog.db").path
        let fillStarted = monotonicNanoseconds()
        let payloadBytes = try fill(path: bigPath, rows: rows)
        let fillSeconds = Double(monotonicNanoseconds() - fillStarted) / 1e9
        let fileBytes = fileSize(bigPath)
        say(String(format: "filled %d rows in %.0f s: %.0f MB file, %.0f MB payload, %.0f file bytes per row (%.0f of payload)",
                   rows, fillSeconds, Double(fileBytes) / 1e6, Double(payloadBytes) / 1e6,
                   Double(fileBytes) / Double(rows), Double(payloadBytes) / Double(rows)))

        let statusText = try timeStatus(path: bigPath, json: false)
        let statusJSON = try timeStatus(path: bigPath, json: true)
        say(String(format: "spoolctl status: %.1f ms (text), %.1f ms (--format json), of which CPU %.1f ms / %.1f ms; medians of 5 runs",
                   statusText.wall, statusJSON.wall, statusText.cpu, statusJSON.cpu))

        let smallPath = directory.appendingPathComponent("small.db").path
        _ = try fill(path: smallPath, rows: smallRows)
        let statusSmall = try timeStatus(path: smallPath, json: false)
        say(String(format: "spoolctl status on a %d-row spool: %.1f ms, of which CPU %.1f ms (starting the process is most of it)", smallRows, statusSmall.wall, statusSmall.cpu))
        let idleSmall = try idleUploaderCPU(path: smallPath, seconds: idleSeconds)
        let idleBig = try idleUploaderCPU(path: bigPath, seconds: idleSeconds)
        say(String(format: "idle uploader, BigQuery refusing connections: %.2f %% of a core with %d rows, %.2f %% with %d rows (%d s each)",
                   idleSmall, smallRows, idleBig, rows, idleSeconds))

        let rawPath = directory.appendingPathComponent("raw.db").path
        try Spool(path: rawPath).close()
        let raw = try rawInsertLoop(path: rawPath, count: appends, schemaFrom: rawPath)
        AppendBenchmark.report("raw C loop (outbox schema)", raw)
        let rawV3Path = directory.appendingPathComponent("raw-v3.db").path
        try versionThreeFile(rawV3Path)
        let rawV3 = try rawInsertLoop(path: rawV3Path, count: appends, schemaFrom: rawV3Path)
        AppendBenchmark.report("raw C loop (schema version 3)", rawV3)
        let onBacklog = try appendLatencies(path: bigPath, count: appends)
        AppendBenchmark.report("Spool.append onto the \(rows)-row backlog", onBacklog)

        printJSON([
            "bench": "backlog",
            "rows": rows, "file_bytes": fileBytes, "payload_bytes": payloadBytes,
            "file_bytes_per_row": Double(fileBytes) / Double(rows),
            "status_ms": statusText.wall, "status_json_ms": statusJSON.wall, "status_small_ms": statusSmall.wall,
            "status_cpu_ms": statusText.cpu, "status_json_cpu_ms": statusJSON.cpu, "status_small_cpu_ms": statusSmall.cpu,
            "idle_uploader_cpu_pct_small": idleSmall, "idle_uploader_cpu_pct_backlog": idleBig,
            "append_p50_us": onBacklog.percentile(50), "append_p99_us": onBacklog.percentile(99),
            "raw_p50_us": raw.percentile(50), "raw_p99_us": raw.percentile(99),
            "raw_v3_p50_us": rawV3.percentile(50), "raw_v3_p99_us": rawV3.percentile(99),
            "fill_rows_per_s": Double(rows) / fillSeconds,
        ])
    }

    /// Appends `rows` seed events from four threads at once and returns their payload bytes.
    private static func fill(path: String, rows: Int) throws -> Int {
        let spool = try Spool(path: path)
        defer { spool.close() }
        let threads = 4
        let failures = LockedValue<[String]>([])
        let group = DispatchGroup()
        for thread in 0..<threads {
            group.enter()
            Thread {
                defer { group.leave() }
                for index in stride(from: thread, to: rows, by: threads) {
                    do {
                        try spool.append(json: row(index), to: "user_search_events")
                    } catch {
                        failures.update { $0.append("\(error)") }
                        return
                    }
                }
            }.start()
        }
        group.wait()
        if let failure = failures.value.first { throw BenchError("filling \(path) failed: \(failure)") }
        return (0..<rows).reduce(0) { $0 + row($1).utf8.count }
    }

    /// The seed's search event (~280 bytes), as the issue's figures were measured with.
    private static func row(_ index: Int) -> String {
        SeedEvents.row(table: "user_search_events", eventID: "b-\(index)", index: index)
    }

    /// Medians of five runs of the real spoolctl binary: wall time and the process's CPU time, in milliseconds.
    private static func timeStatus(path: String, json: Bool) throws -> (wall: Double, cpu: Double) {
        var times: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<5 {
            let cpuBefore = childrenCPUMilliseconds()
            let started = monotonicNanoseconds()
            let result = try ChildProcess.run(BuiltProducts.path("spoolctl"), ["status", "--db", path] + (json ? ["--format", "json"] : []), environment: ["SPOOL_CONFIG": ""])
            times.append(Double(monotonicNanoseconds() - started) / 1e6)
            cpu.append(childrenCPUMilliseconds() - cpuBefore)
            guard result.code == 0 || result.code == 2 else { throw BenchError("spoolctl status failed: \(result.stderr)") }
        }
        return (times.sorted()[times.count / 2], cpu.sorted()[cpu.count / 2])
    }

    /// User plus system CPU time of every child process waited for so far, in milliseconds.
    private static func childrenCPUMilliseconds() -> Double {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
        func millis(_ time: timeval) -> Double { Double(time.tv_sec) * 1000 + Double(time.tv_usec) / 1000 }
        return millis(usage.ru_utime) + millis(usage.ru_stime)
    }

    /// CPU time, as a percentage of one core, of a child process running the real uploader (default settings)
    /// against a loopback port nobody listens on, over `seconds` after a 5-second warm-up.
    private static func idleUploaderCPU(path: String, seconds: Int) throws -> Double {
        let child = try ChildProcess.launch(BuiltProducts.path("spool-bench"), ["idle-uploader", "--db", path, "--endpoint", "http://127.0.0.1:1"])
        defer {
            child.kill(signal: SIGKILL)
            _ = child.waitForExit()
        }
        try child.waitForOutput(containing: "uploader running", timeout: .seconds(120))
        Thread.sleep(forTimeInterval: 5)
        let before = try processCPUSeconds(child.pid)
        let started = monotonicNanoseconds()
        Thread.sleep(forTimeInterval: Double(seconds))
        let used = try processCPUSeconds(child.pid) - before
        let wall = Double(monotonicNanoseconds() - started) / 1e9
        // The figure means something only if the uploader was retrying all along.
        var readOnly = Spool.Configuration()
        readOnly.readOnly = true
        let spool = try Spool(path: path, configuration: readOnly)
        defer { spool.close() }
        guard let table = try spool.status().tables.first, table.consecutiveFailures > 0, table.maxAttempts > 0 else {
            throw BenchError("the idle uploader never tried to send: its CPU figure would mean nothing")
        }
        say("  the uploader failed \(table.consecutiveFailures) requests in a row (rows tried up to \(table.maxAttempts) times); last error: \(table.lastError ?? "none")")
        return used / wall * 100
    }

    /// User plus system CPU time of a process so far, from /proc/PID/stat.
    private static func processCPUSeconds(_ pid: Int32) throws -> Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = text.lastIndex(of: ")") else { throw BenchError("cannot read /proc/\(pid)/stat") }
        // Fields after "(comm)": state is field 3; utime and stime are fields 14 and 15.
        let fields = text[text.index(after: end)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else {
            throw BenchError("unexpected /proc/\(pid)/stat")
        }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func appendLatencies(path: String, count: Int) throws -> Latencies {
        let spool = try Spool(path: path)
        defer { spool.close() }
        var latencies = Latencies(capacity: count)
        for index in 0..<count {
            let payload = seedEvent(index)
            let before = monotonicNanoseconds()
            try spool.append(json: payload, to: "user_search_events")
            latencies.record(monotonicNanoseconds() - before)
        }
        return latencies
    }

    /// A new file with Spool's pages and the schema as it was before migrations/0004_per_table_totals.sql (one
    /// global totals row, no per-table trigger or retry indexes): what an append cost before. Run from the
    /// repository root, as scripts/bench does.
    private static func versionThreeFile(_ path: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK, let db else { throw BenchError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        let folder = FileManager.default.currentDirectoryPath + "/migrations/"
        var script = "PRAGMA page_size=1024; PRAGMA journal_mode=WAL;"
        for name in ["0001_outbox.sql", "0002_uploader_state.sql", "0003_pending_totals.sql"] {
            guard let sql = FileManager.default.contents(atPath: folder + name) else { throw BenchError("cannot read \(folder + name): run from the repository root") }
            script += String(decoding: sql, as: UTF8.self)
        }
        guard sqlite3_exec(db, script + "PRAGMA user_version = 3;", nil, nil, nil) == SQLITE_OK else {
            throw BenchError(String(cString: sqlite3_errmsg(db)))
        }
    }

    private static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    private static func say(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    // MARK: The child process

    /// `spool-bench idle-uploader --db PATH --endpoint URL`: the real uploader with its default settings (poll,
    /// backoff, gauge interval) on one spool file, until killed.
    static func runIdleUploader(path: String, endpoint: String) throws -> Never {
        let spool = try Spool(path: path)
        var configuration = UploaderConfiguration()
        configuration.credentials = .none
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: endpoint), configuration: configuration)
        Task { try? await uploader.run() }
        FileHandle.standardOutput.write(Data("uploader running\n".utf8))
        while true { sleep(60) }
    }
}
