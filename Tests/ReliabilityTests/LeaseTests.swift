import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// The lease must outlive any request the holder makes: if an answer can take longer than the lease, a standby
    /// takes over while the holder's batch is still in flight, and both send the same rows.
    @Suite("Lease against slow answers", .serialized)
    struct LeaseTests {
        @Test("answers slower than the lease never let a second uploader send while the holder's request is in flight")
        func slowAnswersDoNotLetTwoUploadersDrain() throws {
            let endpoint = try Emulator.url()
            let dataset = Emulator.uniqueDataset("lease")
            try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
            var slow = FaultPlan()
            slow.delayPastTimeout = 1
            slow.delay = .seconds(4)
            let proxies = try (0..<2).map { _ in try FaultProxy(upstream: endpoint, plan: slow) }
            defer { proxies.forEach { $0.stop() } }
            let directory = try TemporaryDirectory()
            let spool = try Spool(path: directory.file("spool.db").path)
            defer { spool.close() }
            let appended = 600
            for index in 0..<appended {
                try spool.append(json: searchEvent("l-\(index)", index: index), to: "user_search_events", insertId: "l-\(index)")
            }
            // A lease of 3 s, and a request timeout (10 s) longer than the 4-s answers: as configured, too long.
            var configuration = quickUploaderConfiguration()
            configuration.leaseDuration = .seconds(3)
            configuration.requestTimeout = .seconds(10)
            configuration.batchRows = 100
            let runners = try proxies.map { proxy in
                RunningUploader(try SpoolUploader(
                    spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: proxy.baseURL),
                    configuration: configuration
                ))
            }
            Thread.sleep(forTimeInterval: 10)
            proxies.forEach { $0.setPlan(.none) }
            let drained = try waitUntil(.seconds(60), pollEvery: .milliseconds(100)) { try spool.status().pendingRows == 0 }
            runners.forEach { $0.shutDown() }

            let sent = proxies.map { $0.exchanges.filter { $0.path.hasSuffix("/insertAll") && $0.relayed } }
            // A relayed request is in flight from its start until its (possibly delayed) answer.
            func span(_ exchange: FaultProxy.Exchange) -> (ContinuousClock.Instant, ContinuousClock.Instant) {
                (exchange.startedAt, exchange.endedAt + (exchange.fault == .delayPastTimeout ? slow.delay : .zero))
            }
            let overlaps = sent[0].filter { first in
                sent[1].contains { second in span(second).0 < span(first).1 && span(first).0 < span(second).1 }
            }
            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            let tally = DeliveryTally(acknowledged: Set((0..<appended).map { "l-\($0)" }), stored: stored, deadLettered: try spool.deadLetteredEventIds())
            tally.report("lease-slow-answers")
            print("lease: requests \(sent[0].count) + \(sent[1].count), overlapping \(overlaps.count)")
            #expect(drained)
            #expect(overlaps.isEmpty, "\(overlaps.count) requests of one uploader overlapped the other's")
            #expect(tally.lost == 0)
        }
    }
}
