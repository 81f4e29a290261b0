import Foundation
import Spool
import SpoolTestSupport

/// `scripts/bench drain`: fills a backlog and drains it through the real uploader, to a sink that answers 200 at
/// once (the uploader's own cost) and to the emulator (end to end).
enum DrainBenchmark {
    static func run(rows: Int, backlog: Int, emulator: String?) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let sink = try LoopbackHTTPServer(recordRequests: false) { _ in .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#) }
        defer { sink.stop() }
        let null = try fillAndDrain(path: directory.appendingPathComponent("null.db").path, rows: rows, endpoint: sink.baseURL, dataset: "analytics")
        report("null sink", null, rows: rows)

        var emulatorRate: Double?
        if let emulator {
            let dataset = "bench_\(UInt32.random(in: 0...UInt32.max))"
            try Emulator.createSeedTables(endpoint: emulator, dataset: dataset, tables: ["user_search_events"])
            let result = try fillAndDrain(path: directory.appendingPathComponent("emulator.db").path, rows: rows, endpoint: emulator, dataset: dataset)
            report("emulator", result, rows: rows)
            emulatorRate = Double(rows) / result.seconds
        }

        // Memory with a large backlog: the uploader holds one batch at a time, never the backlog.
        let backlogResult = try fillAndDrain(path: directory.appendingPathComponent("backlog.db").path, rows: backlog, endpoint: sink.baseURL, dataset: "analytics")
        report("null sink, \(backlog)-row backlog", backlogResult, rows: backlog)

        printJSON([
            "bench": "drain",
            "rows": rows,
            "null_rows_per_s": Double(rows) / null.seconds,
            "null_cpu_us_per_row": null.cpuNanoseconds / 1000 / Double(rows),
            "emulator_rows_per_s": emulatorRate ?? 0,
            "backlog_rows": backlog,
            "max_rss_mb": maxResidentMiB(),
        ])
    }

    struct Result {
        var seconds: Double
        var cpuNanoseconds: Double
    }

    private static func fillAndDrain(path: String, rows: Int, endpoint: String, dataset: String) throws -> Result {
        let spool = try Spool(path: path)
        defer { spool.close() }
        for index in 0..<rows {
            try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "b-\(index)", index: index), to: "user_search_events")
        }
        var configuration = UploaderConfiguration()
        configuration.credentials = .none
        configuration.requestTimeout = .seconds(60)
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: dataset, endpoint: endpoint), configuration: configuration)
        let cpuBefore = threadCPUNanoseconds()
        let started = monotonicNanoseconds()
        let outcome = try uploader.drain(timeout: .seconds(600))
        let elapsed = Double(monotonicNanoseconds() - started) / 1e9
        let cpu = Double(threadCPUNanoseconds() - cpuBefore)
        guard outcome.remainingRows == 0, outcome.report.delivered == rows else {
            throw BenchError("drain left \(outcome.remainingRows) rows (delivered \(outcome.report.delivered) of \(rows))")
        }
        return Result(seconds: elapsed, cpuNanoseconds: cpu)
    }

    private static func report(_ name: String, _ result: Result, rows: Int) {
        FileHandle.standardError.write(Data(String(
            format: "%-36@ %9.0f rows/s  %6.2f µs CPU per row  (%d rows in %.1f s)\n",
            name as NSString, Double(rows) / result.seconds, result.cpuNanoseconds / 1000 / Double(rows), rows, result.seconds
        ).utf8))
    }
}
