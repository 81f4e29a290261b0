import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// A graceful shutdown while a batch is in flight: within its deadline the uploader drains or leaves the rows for
    /// next time — never half-acknowledged.
    @Suite("Graceful shutdown", .serialized)
    struct ShutdownTests {
        @Test("shutdown with a slow batch in flight stops near its deadline; delivered + pending == appended, no duplicates")
        func shutdownMidBatchNeverHalfAcknowledges() throws {
            let endpoint = try Emulator.url()
            let dataset = Emulator.uniqueDataset("shutdown")
            try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
            // Every answer is slow (but inside the request timeout): a batch is in flight most of the time.
            var plan = FaultPlan()
            plan.delayPastTimeout = 1
            plan.delay = .milliseconds(1500)
            let proxy = try FaultProxy(upstream: endpoint, plan: plan)
            defer { proxy.stop() }
            let directory = try TemporaryDirectory()
            let spool = try Spool(path: directory.file("spool.db").path)
            defer { spool.close() }
            let appended = 2000
            for index in 0..<appended {
                try spool.append(json: searchEvent("s-\(index)", index: index), to: "user_search_events", insertId: "s-\(index)")
            }
            var configuration = quickUploaderConfiguration()
            configuration.batchRows = 100
            configuration.requestTimeout = .seconds(10)
            configuration.leaseDuration = .seconds(30)
            configuration.shutdownDrainTimeout = .seconds(2)
            let running = RunningUploader(try SpoolUploader(
                spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: proxy.baseURL),
                configuration: configuration
            ))
            // Shut down while the third request is in flight.
            let inFlight = waitUntil(.seconds(30), pollEvery: .milliseconds(5)) { proxy.exchanges.count >= 2 && proxy.inFlight > 0 }
            #expect(inFlight)
            let began = ContinuousClock.now
            let stopped = running.shutDown(timeout: .seconds(60))
            let took = ContinuousClock.now - began
            #expect(stopped)

            let pending = try spool.status().pendingRows
            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            let tally = DeliveryTally(acknowledged: Set((0..<appended).map { "s-\($0)" }), stored: stored, deadLettered: try spool.deadLetteredEventIds())
            tally.report("shutdown")
            print("shutdown: run() returned \(took) after the request (drain deadline 2 s, answers take 1.5 s); \(stored.count) rows stored, \(pending) pending")
            #expect(took < .seconds(2) + configuration.requestTimeout, "the last drain stops at its deadline (plus the batch in flight)")
            #expect(Set(stored).count + pending == appended, "every row is delivered or still pending, none half-acknowledged")
            #expect(tally.duplicated == 0)
            #expect(pending > 0, "with 2,000 rows and 1.5 s per batch, rows were left for next time")
            #expect(try spool.deadLetters().isEmpty)

            // Next time, the rest goes.
            let rest = try SpoolUploader(
                spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: endpoint),
                configuration: quickUploaderConfiguration()
            ).drain(timeout: .seconds(60))
            #expect(rest.remainingRows == 0)
            let final = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            #expect(final.count == appended && Set(final).count == appended)
        }
    }
}
