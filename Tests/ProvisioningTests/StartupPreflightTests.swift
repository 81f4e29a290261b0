import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The uploader runs the doctor's BigQuery checks once at start-up and logs what fails, without holding up appends.
@Suite("Uploader start-up preflight against the emulator", .serialized)
struct StartupPreflightTests {
    @Test("a missing table is logged once (info, \"spool preflight failed\") while appends keep working and other tables flow")
    func missingTableIsLoggedOnceAndAppendsKeepWorking() async throws {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset("pre")
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["cart_modification_events"])
        let directory = try TemporaryDirectory()
        let capture = LogCapture()
        var configuration = Spool.Configuration()
        configuration.schemas = try SeedSchemas.load().filter { ["cart_modification_events", "user_search_events"].contains($0.key) }
        configuration.logger = capture.logger(level: .debug)
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }

        var uploaderConfiguration = UploaderConfiguration()
        uploaderConfiguration.pollInterval = .milliseconds(20)
        uploaderConfiguration.requestTimeout = .seconds(10)
        uploaderConfiguration.shutdownDrainTimeout = .milliseconds(500)
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: endpoint), configuration: uploaderConfiguration)
        let task = Task { try await uploader.run() }

        // Appends go on while the uploader starts, checks and runs.
        for index in 0..<20 {
            let table = index.isMultiple(of: 2) ? "cart_modification_events" : "user_search_events"
            try spool.append(json: SeedEvents.row(table: table, eventID: "pf-\(index)", index: index), to: table)
        }
        let deadline = ContinuousClock.now + .seconds(30)
        func pending(_ table: String) throws -> Int {
            try spool.status().tables.first { $0.table == table }?.pendingRows ?? 0
        }
        while try pending("cart_modification_events") > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try pending("cart_modification_events") == 0, "the existing table flows")
        try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "pf-late", index: 99), to: "user_search_events")
        uploader.triggerGracefulShutdown()
        try await task.value

        #expect(try pending("user_search_events") == 11, "rows for the missing table wait on disk")
        let warnings = capture.entries.filter { $0.hasPrefix("info spool preflight failed:") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("table user_search_events → \(dataset).user_search_events not found") == true)
        #expect(capture.entries.contains { $0.hasPrefix("debug spool preflight: table cart_modification_events → \(dataset).cart_modification_events exists and matches its schema file") })
        #expect(capture.entries.contains { $0.hasPrefix("info spool preflight done") && $0.contains("spool.failures=1") })
        let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "cart_modification_events")
        #expect(Set(stored) == Set(stride(from: 0, to: 20, by: 2).map { "pf-\($0)" }))
    }
}
