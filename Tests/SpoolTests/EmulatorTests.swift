import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Synchronization
import Testing

/// The uploader against the real BigQuery emulator (bqemulator), started by scripts/test.
@Suite("Uploader against the emulator", .serialized)
struct EmulatorTests {
    @Test("10,000 rows across the seed's five tables arrive exactly once, gzip-compressed")
    func tenThousandRowsArriveExactlyOnce() throws {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset()
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset)
        let directory = try TemporaryDirectory()
        var configuration = Spool.Configuration()
        configuration.schemas = try SeedSchemas.load()
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        var expected: [String: [String]] = [:]
        for index in 0..<10_000 {
            let table = SeedSchemas.tableNames[index % 5]
            let id = "ev-\(index)"
            try spool.append(json: SeedEvents.row(table: table, eventID: id, index: index), to: table, insertId: id)
            expected[table, default: []].append(id)
        }
        var uploaderConfiguration = fastUploaderConfiguration()
        uploaderConfiguration.requestTimeout = .seconds(30)
        let destination = Destination(project: Emulator.project, dataset: dataset, endpoint: endpoint)
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: uploaderConfiguration).drain(timeout: .seconds(240))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 10_000)
        #expect(outcome.report.deadLettered == 0)
        #expect(try spool.deadLetters().isEmpty)
        for table in SeedSchemas.tableNames {
            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: table)
            #expect(stored.count == 2000, "\(table) holds every row once")
            #expect(Set(stored) == Set(expected[table] ?? []), "\(table) holds exactly its rows")
        }
    }

    @Test("the emulator stopped mid-drain (SIGSTOP, then SIGKILL and a restart) loses nothing")
    func emulatorOutageMidDrainLosesNothing() throws {
        let directory = try TemporaryDirectory()
        let emulator = try Emulator.Instance(directory: directory)
        defer { emulator.stop() }
        let dataset = Emulator.uniqueDataset()
        try Emulator.createSeedTables(endpoint: emulator.endpoint, dataset: dataset, tables: ["user_search_events"])
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        for index in 0..<3000 {
            try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "out-\(index)", index: index), to: "user_search_events", insertId: "out-\(index)")
        }
        var configuration = fastUploaderConfiguration()
        configuration.batchRows = 100
        configuration.requestTimeout = .seconds(2)
        configuration.maxBackoff = .seconds(1)
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: emulator.endpoint), configuration: configuration)

        // Freeze the emulator after the first few batches, then kill and restart it.
        let delivered = LockedValue(0)
        let frozen = LockedValue(false)
        let outage = Thread {
            while delivered.value < 500 { usleep(5_000) }
            emulator.signal(SIGSTOP)
            frozen.update { $0 = true }
            sleep(3)
            emulator.kill9()
            try? emulator.start()
        }
        outage.start()
        let outcome = try uploader.drain(timeout: .seconds(120), progress: { _, batch in
            delivered.update { $0 += batch.delivered }
        })
        #expect(frozen.value, "the outage happened during the drain")
        #expect(outcome.remainingRows == 0)
        #expect(try spool.deadLetters().isEmpty)
        let stored = try Emulator.values(endpoint: emulator.endpoint, dataset: dataset, table: "user_search_events")
        #expect(Set(stored) == Set((0..<3000).map { "out-\($0)" }), "every row arrived")
        // The emulator ignores insertId, so a request that it stored but never answered shows up twice.
        let duplicates = stored.count - Set(stored).count
        #expect(duplicates <= 100, "at most the one batch in flight when it froze is duplicated (\(duplicates))")
    }
}
