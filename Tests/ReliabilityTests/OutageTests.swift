import Foundation
import Spool
import SpoolTestSupport
import Testing

/// What the outage run saw, checked by the test once the run is over.
private struct OutageRun: Sendable {
    var outageLength: Duration
    var drained: Bool
    var tally: DeliveryTally
    var latencies: [Reliability.OutageTests.Phase: LatencySample]
    var acknowledged: Int
}

extension Reliability {
    /// BigQuery gone for more than 30 seconds — frozen first, then dead and restarted — while the host keeps appending.
    @Suite("BigQuery outage", .serialized)
    struct OutageTests {
        enum Phase: Int, Sendable { case before, outage, after }

        @Test("a 30-second outage (SIGSTOP, then SIGKILL and restart) delays delivery but loses nothing and does not slow append")
        func anOutageLosesNothing() async throws {
            // Appends at a steady pace for a minute: on a thread of its own, not one of the concurrency pool's.
            let run = try await onOwnThread { () throws -> OutageRun in
                let directory = try TemporaryDirectory()
                let emulator = try Emulator.Instance(directory: directory)
                defer { emulator.stop() }
                let dataset = Emulator.uniqueDataset("outage")
                try Emulator.createSeedTables(endpoint: emulator.endpoint, dataset: dataset, tables: ["user_search_events"])
                let spool = try Spool(path: directory.file("spool.db").path)
                defer { spool.close() }
                var configuration = quickUploaderConfiguration()
                configuration.requestTimeout = .seconds(2)
                configuration.maxBackoff = .seconds(2)
                let running = RunningUploader(try SpoolUploader(
                    spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: emulator.endpoint),
                    configuration: configuration
                ))

                let phase = LockedValue(Phase.before)
                let outageStarted = LockedValue<ContinuousClock.Instant?>(nil)
                let outage = Thread {
                    sleep(5)
                    emulator.signal(SIGSTOP)
                    outageStarted.update { $0 = .now }
                    phase.update { $0 = .outage }
                    sleep(12)
                    emulator.kill9()
                    sleep(20)
                    try? emulator.start()
                    phase.update { $0 = .after }
                }
                outage.start()

                // ~200 appends a second until 5 s after the emulator is back.
                var latencies: [Phase: LatencySample] = [:]
                var acknowledged: Set<String> = []
                var index = 0
                var afterSince: ContinuousClock.Instant?
                let clock = ContinuousClock()
                while afterSince.map({ clock.now - $0 < .seconds(5) }) ?? true {
                    let current = phase.value
                    if current == .after, afterSince == nil { afterSince = clock.now }
                    let id = "outage-\(index)"
                    let began = clock.now
                    try spool.append(json: searchEvent(id, index: index), to: "user_search_events", insertId: id)
                    latencies[current, default: LatencySample()].record(clock.now - began)
                    acknowledged.insert(id)
                    index += 1
                    usleep(5_000)
                }
                let outageLength = outageStarted.value.map { afterSince! - $0 } ?? .zero
                let drained = try waitUntil(.seconds(120), pollEvery: .milliseconds(200)) { try spool.status().pendingRows == 0 }
                running.shutDown()

                let stored = try Emulator.values(endpoint: emulator.endpoint, dataset: dataset, table: "user_search_events")
                let tally = DeliveryTally(acknowledged: acknowledged, stored: stored, deadLettered: try spool.deadLetteredEventIds())
                tally.report("outage")
                print("outage: \(outageLength) down; append before \(latencies[.before]?.summary ?? "-"); during \(latencies[.outage]?.summary ?? "-"); after \(latencies[.after]?.summary ?? "-")")
                return OutageRun(outageLength: outageLength, drained: drained, tally: tally, latencies: latencies, acknowledged: acknowledged.count)
            }
            let (outageLength, drained, tally, latencies, acknowledged) = (run.outageLength, run.drained, run.tally, run.latencies, run.acknowledged)
            #expect(outageLength >= .seconds(30))
            #expect(drained, "the backlog drains once the emulator is back")
            #expect(tally.lost == 0, "lost e.g. \(tally.lostExamples)")
            #expect(tally.deadLettered == 0)
            #expect(tally.delivered == acknowledged)
            #expect((latencies[.outage]?.micros.count ?? 0) > 1000, "appends went on during the outage")
        }
    }
}
