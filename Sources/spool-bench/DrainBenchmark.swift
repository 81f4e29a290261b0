import Dispatch
import Foundation
import Spool
import SpoolSchema
import SpoolTestSupport
import StorageWriteTestSupport

/// `scripts/bench drain`: fills a backlog and drains it through the real uploader, to a sink that answers at once
/// (the uploader's own cost) and to the emulator (end to end), with insertAll and with the Storage Write API.
enum DrainBenchmark {
    static func run(rows: Int, backlog: Int, rounds: Int, emulator: String?, emulatorGRPC: String?) throws {
        let directory = try scratchDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        // insertAll's bytes on the wire are the request bodies as sent (gzip-compressed, as the uploader sends them).
        let insertAllBytes = LockedValue(0)
        let sink = try LoopbackHTTPServer(recordRequests: false) { request in
            insertAllBytes.update { $0 += request.body.count }
            return .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#)
        }
        defer { sink.stop() }
        // The Storage Write API to a gRPC sink that appends at once and keeps only a count of the rows
        // (Tests/StorageWriteTestSupport): its own cost.
        let grpcSink = try blocking { try await BigQueryWriteTestServer.start(keepingRows: false) }
        defer { blocking { await grpcSink.stop() } }

        // The uploader's own cost, through each API in turn, in `rounds` rounds: the median of each. One thread's CPU
        // time still varies by a quarter from run to run on these shared machines (what runs beside it on the
        // other core); the median of alternating rounds is steadier than any one run.
        var nullRounds: [Result] = []
        var storageWriteNullRounds: [Result] = []
        for round in 0..<rounds {
            let null = try fillAndDrain(path: directory.appendingPathComponent("null-\(round).db").path, rows: rows, endpoint: sink.baseURL, dataset: "analytics")
            report("null sink", null, rows: rows)
            nullRounds.append(null)
            let storageWriteNull = try fillAndDrain(
                path: directory.appendingPathComponent("null-sw-\(round).db").path, rows: rows, endpoint: sink.baseURL, dataset: "analytics",
                writeEndpoint: grpcSink.endpoint
            )
            report("null sink, Storage Write", storageWriteNull, rows: rows)
            storageWriteNullRounds.append(storageWriteNull)
            for name in ["null-\(round).db", "null-sw-\(round).db"] {
                try FileManager.default.removeItem(at: directory.appendingPathComponent(name))
            }
        }
        let null = Result.median(nullRounds)
        let storageWriteNull = Result.median(storageWriteNullRounds)
        let insertAllWireBytes = Double(insertAllBytes.value) / Double(rounds)
        let storageWriteBytes = Double(grpcSink.appendedBytes) / Double(rounds)

        var emulatorRate: Double?
        var storageWriteRate: Double?
        if let emulator {
            let dataset = "bench_\(UInt32.random(in: 0...UInt32.max))"
            try Emulator.createSeedTables(endpoint: emulator, dataset: dataset, tables: ["user_search_events"])
            let result = try fillAndDrain(path: directory.appendingPathComponent("emulator.db").path, rows: rows, endpoint: emulator, dataset: dataset)
            report("emulator", result, rows: rows)
            emulatorRate = Double(rows) / result.seconds
            if let emulatorGRPC {
                let swDataset = "bench_sw_\(UInt32.random(in: 0...UInt32.max))"
                try Emulator.createSeedTables(endpoint: emulator, dataset: swDataset, tables: ["user_search_events"])
                let storageWrite = try fillAndDrain(
                    path: directory.appendingPathComponent("emulator-sw.db").path, rows: rows, endpoint: emulator, dataset: swDataset,
                    writeEndpoint: emulatorGRPC
                )
                report("emulator, Storage Write", storageWrite, rows: rows)
                storageWriteRate = Double(rows) / storageWrite.seconds
            }
        }

        // Memory with a large backlog, through each API: the uploader holds one batch at a time, never the backlog
        // (max_rss_mb is the peak of the whole run).
        let backlogResult = try fillAndDrain(path: directory.appendingPathComponent("backlog.db").path, rows: backlog, endpoint: sink.baseURL, dataset: "analytics")
        report("null sink, \(backlog)-row backlog", backlogResult, rows: backlog)
        try FileManager.default.removeItem(at: directory.appendingPathComponent("backlog.db"))
        let storageWriteBacklog = try fillAndDrain(
            path: directory.appendingPathComponent("backlog-sw.db").path, rows: backlog, endpoint: sink.baseURL, dataset: "analytics",
            writeEndpoint: grpcSink.endpoint
        )
        report("null sink, Storage Write, \(backlog)-row backlog", storageWriteBacklog, rows: backlog)

        printJSON([
            "bench": "drain",
            "rows": rows,
            "null_rows_per_s": Double(rows) / null.seconds,
            "null_cpu_us_per_row": null.cpuNanoseconds / 1000 / Double(rows),
            "emulator_rows_per_s": emulatorRate ?? 0,
            "insert_all_rows_per_s": emulatorRate ?? 0,
            "storage_write_rows_per_s": storageWriteRate ?? 0,
            "storage_write_null_rows_per_s": Double(rows) / storageWriteNull.seconds,
            "storage_write_cpu_us_per_row": storageWriteNull.cpuNanoseconds / 1000 / Double(rows),
            "insert_all_bytes_per_row": insertAllWireBytes / Double(rows),
            "storage_write_bytes_per_row": storageWriteBytes / Double(rows),
            "null_rounds": rounds,
            "backlog_rows": backlog,
            "backlog_rows_per_s": Double(backlog) / backlogResult.seconds,
            "storage_write_backlog_rows_per_s": Double(backlog) / storageWriteBacklog.seconds,
            "max_rss_mb": maxResidentMiB(),
        ])
    }

    struct Result {
        var seconds: Double
        var cpuNanoseconds: Double

        /// The median time and the median CPU of several runs (each on its own).
        static func median(_ results: [Result]) -> Result {
            func middle(_ values: [Double]) -> Double {
                let sorted = values.sorted()
                return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
            }
            return Result(seconds: middle(results.map(\.seconds)), cpuNanoseconds: middle(results.map(\.cpuNanoseconds)))
        }
    }

    /// With `writeEndpoint`, through the Storage Write API (the table's schema from the seed's schema files).
    private static func fillAndDrain(path: String, rows: Int, endpoint: String, dataset: String, writeEndpoint: String? = nil) throws -> Result {
        var spoolConfiguration = Spool.Configuration()
        if writeEndpoint != nil { spoolConfiguration.schemas = try SeedSchemas.load() }
        let spool = try Spool(path: path, configuration: spoolConfiguration)
        defer { spool.close() }
        for index in 0..<rows {
            try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "b-\(index)", index: index), to: "user_search_events")
        }
        var configuration = UploaderConfiguration()
        configuration.credentials = .none
        configuration.requestTimeout = .seconds(60)
        var destination = Destination(project: "test-project", dataset: dataset, endpoint: endpoint)
        if let writeEndpoint {
            destination.api = .storageWrite
            destination.writeEndpoint = writeEndpoint
        }
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
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

/// Runs async work from the benchmark's synchronous code, on a task of its own, and waits for it.
private func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let result = LockedValue<Result<T, any Error>?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let outcome: Result<T, any Error>
        do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
        result.update { $0 = outcome }
        done.signal()
    }
    done.wait()
    return try result.value!.get()
}

private func blocking(_ body: @escaping @Sendable () async -> Void) {
    _ = try? blocking { () async throws -> Int in await body(); return 0 }
}
