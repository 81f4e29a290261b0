import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// A process that appends and uploads is SIGKILLed again and again, mid-append and mid-upload, and restarted on the
    /// same file: every event it acknowledged must reach BigQuery or dead_letters.
    @Suite("kill -9 while appending and uploading", .serialized)
    struct KillTests {
        @Test("every acknowledged event survives ten SIGKILLs, half of them during an insertAll request")
        func acknowledgedEventsSurviveRepeatedKills() throws {
            let outcome = try KillScenario.run(rounds: 10, seed: soakSeed(9))
            outcome.tally.report("kill")
            print("kill: \(outcome.midUploadKills) of \(outcome.rounds) kills during an insertAll request; proxy \(outcome.faults)")
            #expect(outcome.tally.appended > 0)
            #expect(outcome.tally.lost == 0, "lost e.g. \(outcome.tally.lostExamples)")
            #expect(outcome.tally.deadLettered == 0)
            #expect(outcome.integrity == ["ok"])
            #expect(outcome.midUploadKills >= 3, "some kills landed while a request was in flight")
        }
    }
}

/// The kill rounds, as a function the soak script's loop also runs.
enum KillScenario {
    struct Outcome {
        var tally: DeliveryTally
        var rounds: Int
        var midUploadKills: Int
        var integrity: [String]
        var faults: String
    }

    static func run(rounds: Int, seed: UInt64) throws -> Outcome {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset("kill")
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
        // A plain relay: it tells when a request is in flight, so a kill can be aimed at an upload.
        let proxy = try FaultProxy(upstream: endpoint, seed: seed)
        defer { proxy.stop() }
        let directory = try TemporaryDirectory()
        let path = directory.file("spool.db").path
        var random = SeededRandom(seed: seed)
        var acknowledged: Set<String> = []
        var midUploadKills = 0

        for round in 0..<rounds {
            let child = try ChildProcess.launch(BuiltProducts.path("spool-torture"), [
                "--db", path, "--prefix", "k\(seed)r\(round)", "--rate", "2000",
                "--endpoint", proxy.baseURL, "--project", Emulator.project, "--dataset", dataset, "--lease-seconds", "2",
            ])
            try child.waitForOutput(containing: "ack k\(seed)r\(round)-", timeout: .seconds(30))
            if round % 2 == 0 {
                // Mid-upload: wait for the next request in flight (the previous holder's lease must expire first).
                if waitUntil(.seconds(8), pollEvery: .milliseconds(1), { proxy.inFlight > 0 }) {
                    usleep(UInt32.random(in: 0...3_000, using: &random))
                    // The request may have finished meanwhile: aim at the next one, without a pause this time.
                    if proxy.inFlight == 0 {
                        _ = waitUntil(.seconds(8), pollEvery: .milliseconds(1), { proxy.inFlight > 0 })
                    }
                    if proxy.inFlight > 0 { midUploadKills += 1 }
                }
            } else {
                // Mid-append, at a random moment.
                usleep(UInt32.random(in: 20_000...700_000, using: &random))
            }
            child.kill(signal: SIGKILL)
            acknowledged.formUnion(acknowledgedIds(in: child.waitForExit()))
        }

        // Drain what is left (the last holder's lease expires first), then count.
        let spool = try Spool(path: path)
        defer { spool.close() }
        let integrity = try spool.outbox.check(full: true)
        let uploader = try SpoolUploader(
            spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: endpoint),
            configuration: quickUploaderConfiguration()
        )
        let drained = try uploader.drain(timeout: .seconds(120), leasePolicy: .wait)
        if drained.remainingRows > 0 { print("kill: \(drained.remainingRows) rows still pending after the final drain") }
        let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
        return Outcome(
            tally: DeliveryTally(acknowledged: acknowledged, stored: stored, deadLettered: try spool.deadLetteredEventIds()),
            rounds: rounds, midUploadKills: midUploadKills, integrity: integrity, faults: proxy.summary
        )
    }
}
