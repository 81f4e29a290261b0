import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// Rows the emulator refuses by failing the whole batch with HTTP 500, mixed into good traffic: bisection must isolate exactly them, and every good row must arrive once.
    @Suite("Poison rows", .serialized)
    struct PoisonTests {
        @Test("\"abc\" into INTEGER and a string into a RECORD are isolated into dead_letters through 5% 503s; every good row is delivered")
        func poisonRowsAreIsolatedFromGoodTraffic() throws {
            let endpoint = try Emulator.url()
            let dataset = Emulator.uniqueDataset("poison")
            try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
            var plan = FaultPlan()
            // Transient 503s on top, answered by the proxy without reaching the emulator: bisection must finish anyway.
            plan.serviceUnavailable = 0.05
            let proxy = try FaultProxy(upstream: endpoint, plan: plan, seed: 4)
            defer { proxy.stop() }
            let directory = try TemporaryDirectory()
            let spool = try Spool(path: directory.file("spool.db").path)
            defer { spool.close() }

            var good: Set<String> = []
            var poison: Set<String> = []
            var random = SeededRandom(seed: 44)
            for index in 0..<2000 {
                let id = "p-\(index)"
                let row: String
                switch Int.random(in: 0..<400, using: &random) {
                case 0:
                    row = #"{"event_id":"\#(id)","timestamp":"2026-11-26T10:00:00Z","response_time_ms":"abc"}"#
                    poison.insert(id)
                case 1:
                    row = #"{"event_id":"\#(id)","timestamp":"2026-11-26T10:00:00Z","results_count":"oops"}"#
                    poison.insert(id)
                default:
                    row = searchEvent(id, index: index)
                    good.insert(id)
                }
                try spool.append(json: row, to: "user_search_events", insertId: id)
            }
            let uploader = try SpoolUploader(
                spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: proxy.baseURL),
                configuration: quickUploaderConfiguration()
            )
            let outcome = try uploader.drain(timeout: .seconds(240))
            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            let letters = try spool.deadLetters(matching: DeadLetterFilter(limit: 10_000))
            let deadLettered = try spool.deadLetteredEventIds()
            let tally = DeliveryTally(acknowledged: good.union(poison), stored: stored, deadLettered: deadLettered)
            tally.report("poison")
            print("poison: \(poison.count) poison rows among \(good.count) good; \(outcome.report.requests) requests; proxy \(proxy.summary)")
            #expect(outcome.remainingRows == 0)
            #expect(deadLettered == poison, "exactly the poison rows are dead letters")
            #expect(Set(stored) == good, "every good row is delivered, and no poison row")
            #expect(tally.duplicated == 0)
            #expect(tally.lost == 0)
            #expect(letters.allSatisfy { $0.reason == "internalError" && $0.message.contains("HTTP 500") }, "BigQuery's (the emulator's) reason is kept")
        }
    }
}
