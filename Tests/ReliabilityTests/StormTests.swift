import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// A network that fails half of all requests in every way it can: the uploader must deliver everything anyway and
    /// never dead-letter a row because of a transient error.
    @Suite("Fault storm", .serialized)
    struct StormTests {
        @Test("30% 503, 10% 429, 5% resets, 5% timeouts, truncated and non-JSON answers: all delivered, no dead letters")
        func everythingIsDeliveredThroughAStorm() throws {
            let events = 3000
            let outcome = try StormScenario.run(events: events, seed: soakSeed(20_261_126))
            outcome.tally.report("storm")
            print("storm: \(outcome.faults); append during storm \(outcome.latencies.summary)")
            #expect(outcome.tally.appended == events)
            #expect(outcome.tally.lost == 0, "lost e.g. \(outcome.tally.lostExamples)")
            #expect(outcome.deadLetters == 0, "no dead letter is caused by a transient error")
            #expect(outcome.tally.delivered == events)
            #expect(outcome.tally.duplicated <= outcome.rowsRelayedUnanswered, "duplicates only from requests stored but never answered")
            #expect(outcome.injectedFaults > 0)
        }
    }
}

/// The storm, as a function the soak script's loop also runs.
enum StormScenario {
    struct Outcome {
        var tally: DeliveryTally
        var deadLetters: Int
        var faults: String
        var injectedFaults: Int
        var rowsRelayedUnanswered: Int
        var latencies: LatencySample
    }

    static var plan: FaultPlan {
        var plan = FaultPlan()
        plan.serviceUnavailable = 0.30
        plan.tooManyRequests = 0.10
        plan.retryAfterSeconds = 1
        plan.resetBeforeRelaying = 0.025
        plan.resetAfterRelaying = 0.025
        plan.delayPastTimeout = 0.05
        plan.delay = .milliseconds(2500)
        plan.truncatedBody = 0.02
        plan.nonJSONBody = 0.02
        return plan
    }

    static func run(events: Int, seed: UInt64) throws -> Outcome {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset("storm")
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
        let proxy = try FaultProxy(upstream: endpoint, plan: plan, seed: seed)
        defer { proxy.stop() }
        let directory = try TemporaryDirectory()
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        var configuration = quickUploaderConfiguration()
        configuration.requestTimeout = .seconds(1)
        configuration.batchRows = 100
        let uploader = try SpoolUploader(
            spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: proxy.baseURL),
            configuration: configuration
        )
        let running = RunningUploader(uploader)

        // Appends at a steady ~1,000/s while the uploader fights the storm.
        var latencies = LatencySample()
        var acknowledged: Set<String> = []
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<events {
            let id = "storm-\(seed)-\(index)"
            let began = clock.now
            try spool.append(json: searchEvent(id, index: index), to: "user_search_events", insertId: id)
            latencies.record(clock.now - began)
            acknowledged.insert(id)
            let due = start + .milliseconds(index)
            if clock.now < due { Thread.sleep(forTimeInterval: Double((due - clock.now).components.attoseconds) / 1e18) }
        }
        let drained = try waitUntil(.seconds(180), pollEvery: .milliseconds(200)) { try spool.status().pendingRows == 0 }
        running.shutDown()
        let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
        let deadLettered = try spool.deadLetteredEventIds()
        if !drained { print("storm: still \(try spool.status().pendingRows) rows pending after 180 s") }
        return Outcome(
            tally: DeliveryTally(acknowledged: acknowledged, stored: stored, deadLettered: deadLettered),
            deadLetters: deadLettered.count, faults: proxy.summary,
            injectedFaults: proxy.faultCounts.values.reduce(0, +), rowsRelayedUnanswered: proxy.rowsRelayedUnanswered,
            latencies: latencies
        )
    }
}
