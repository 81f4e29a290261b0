import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The kill -9 rounds through the Storage Write API, as the test saw them.
private struct StorageWriteKillRun: Sendable {
    var tally: ExactlyOnceTally
    var rounds: Int
    var midRequestKills: Int
    var remaining: Int
    /// The table's rows after the last kill, before the final drain.
    var storedBeforeDrain: Int
    /// Rows that had left the outbox (acknowledged to an uploader) before the final drain.
    var leftBeforeDrain: Int
    /// Rows holding offsets while awaiting an answer before the final drain.
    var awaitingBeforeDrain: Int
    var deadLettered: Int
    var integrity: [String]
    var proxy: TCPFaultProxy.Statistics
}

/// One cut of the answer-loss test, inspected while the proxy refused the uploader's reconnection.
private struct CutInspection: Sendable {
    /// Rows the uploader saw acknowledged: those that left the outbox.
    var acknowledgedByUploader: Int
    /// Rows holding offsets in a stream while they wait for an answer.
    var awaitingAnswer: Int
    var stored: (rows: Int, distinct: Int)
    var refusedBefore: Int
    var refusedDuring: Int
}

private struct CutRun: Sendable {
    var inspections: [CutInspection]
    var drained: Bool
    var tally: ExactlyOnceTally
    var deadLettered: Int
    var proxy: TCPFaultProxy.Statistics
}

private struct StorageWriteOutageRun: Sendable {
    var tally: ExactlyOnceTally
    var cut: [TCPFaultProxy.Cut]
    var refusedDuringOutage: Int
    var acknowledgedDuringOutage: Int
    var remaining: Int
    var deadLettered: Int
}

extension Reliability {
    /// Exactly once through the emulator's gRPC Write API under faults (issue 15): the uploading process killed while
    /// AppendRows requests are in flight, answers lost after the emulator applied the rows, an outage with a restart
    /// in the middle. Each test runs an emulator of its own (bqemulator can hang when its Write API and other suites'
    /// REST requests run at once), and reads the table only while no uploader writes to it.
    @Suite("Storage Write under faults", .serialized)
    struct StorageWriteFaultTests {
        @Test("every acknowledged row lands exactly once through the Write API across SIGKILLs aimed at AppendRows requests in flight")
        func killsDuringAppendRowsLoseAndDuplicateNothing() async throws {
            let run = try await onOwnThread { try StorageWriteKillRun.run(rounds: 6, seed: soakSeed(15)) }
            run.tally.report("storage-write-kill")
            print("storage-write-kill: \(run.midRequestKills) of \(run.rounds) kills with an AppendRows request in flight; \(run.tally); proxy \(run.proxy)")
            print("storage-write-kill: \(run.proxy.answersAfterClientLeft) answers came after their process was killed")
            print("storage-write-kill: before the final drain the table held \(run.storedBeforeDrain) rows, \(run.leftBeforeDrain) had been acknowledged to an uploader, \(run.awaitingBeforeDrain) awaited an answer: \(run.storedBeforeDrain - run.leftBeforeDrain) applied by the emulator with the answer never read")
            #expect(run.tally.appended > 0)
            #expect(run.remaining == 0, "the final drain delivered everything")
            #expect(run.tally.rows == run.tally.distinct, "COUNT(*) = COUNT(DISTINCT event_id): \(run.tally)")
            #expect(run.tally.duplicated == 0)
            #expect(run.tally.lost == 0, "lost e.g. \(run.tally.lostExamples)")
            #expect(run.tally.delivered == run.tally.appended)
            // A row appended in the instant between its commit and its `ack` line is in the table but was never
            // announced: at most one per kill.
            #expect(run.tally.rows - run.tally.appended == run.tally.unannounced && run.tally.unannounced <= run.rounds)
            // What an uploader saw acknowledged is in the table; whatever else the table held then, the spool file
            // kept at its offsets, awaiting an answer (so the drain resent it and the emulator answered ALREADY_EXISTS).
            #expect(run.storedBeforeDrain >= run.leftBeforeDrain)
            #expect(run.storedBeforeDrain - run.leftBeforeDrain <= run.awaitingBeforeDrain)
            #expect(run.deadLettered == 0)
            #expect(run.integrity == ["ok"])
            #expect(run.midRequestKills >= run.rounds / 2, "most kills landed while an AppendRows request awaited its answer")
            #expect(run.proxy.answersAfterClientLeft > 0, "the emulator answered a request whose process had been killed")
        }

        @Test("requests the emulator applied but whose answers a TCP proxy cut off are resent at their offsets and land once")
        func answersLostAfterTheServerAppliedAreResentOnce() async throws {
            let rowCount = 600
            let run = try await onOwnThread { () throws -> CutRun in
                let bench = try StorageWriteFaultBench(datasetPrefix: "swcut", rowMarker: "cut-")
                defer { bench.stop() }
                let proxy = bench.proxy
                let spool = try Spool(path: bench.spoolPath)
                defer { spool.close() }
                var acknowledged: Set<String> = []
                for index in 0..<rowCount {
                    let id = "cut-\(index)"
                    try spool.append(json: searchEvent(id, index: index), to: "user_search_events", insertId: id)
                    acknowledged.insert(id)
                }
                var configuration = quickUploaderConfiguration()
                configuration.batchRows = 100
                // The first AppendRows request with rows is cut; the proxy then refuses the uploader's reconnection
                // while the test looks at the table and the spool file.
                proxy.cutAfterNextRequest(thenRefuse: true)
                let running = RunningUploader(try SpoolUploader(spool: spool, destination: bench.destination(), configuration: configuration))
                var inspections: [CutInspection] = []
                for round in 0..<3 {
                    guard waitUntil(.seconds(30), { proxy.statistics.cuts.count > round }) else {
                        throw ScenarioError(message: "cut \(round + 1) never happened: \(proxy.statistics)")
                    }
                    // The uploader saw no answer: it tries again, and the proxy refuses it.
                    let refusedBefore = proxy.statistics.refusedConnections
                    guard waitUntil(.seconds(30), { proxy.statistics.refusedConnections > refusedBefore }) else {
                        throw ScenarioError(message: "the uploader did not reconnect after cut \(round + 1)")
                    }
                    let pending = try spool.status().pendingRows
                    let awaiting = try spool.writeStreams().reduce(0) { $0 + $1.heldRows }
                    let stored = try bench.counts()
                    inspections.append(CutInspection(
                        acknowledgedByUploader: rowCount - pending, awaitingAnswer: awaiting, stored: stored,
                        refusedBefore: refusedBefore, refusedDuring: proxy.statistics.refusedConnections - refusedBefore
                    ))
                    // The outage ends: the resend goes through (ALREADY_EXISTS), the next batch's request is cut.
                    if round < 2 { proxy.cutAfterNextRequest(skipping: 1, thenRefuse: true) }
                    proxy.setRefusing(false)
                }
                let drained = try waitUntil(.seconds(60), pollEvery: .milliseconds(100)) { try spool.status().pendingRows == 0 }
                running.shutDown()
                let tally = try bench.tally(acknowledged: acknowledged)
                tally.report("storage-write-cut")
                return CutRun(
                    inspections: inspections, drained: drained, tally: tally,
                    deadLettered: try spool.deadLetteredEventIds().count, proxy: proxy.statistics
                )
            }
            print("storage-write-cut: \(run.tally); proxy \(run.proxy)")
            for (round, inspection) in run.inspections.enumerated() {
                print("storage-write-cut: cut \(round + 1): the emulator held \(inspection.stored.rows) rows, the uploader had seen \(inspection.acknowledgedByUploader) acknowledged, \(inspection.awaitingAnswer) awaiting an answer; \(inspection.refusedDuring) reconnections refused")
            }
            #expect(run.inspections.count == 3)
            #expect(run.proxy.cuts.count == 3 && run.proxy.cuts.allSatisfy(\.answerDropped), "each cut came after the emulator's answer: \(run.proxy.cuts)")
            for inspection in run.inspections {
                // The emulator had applied rows whose answer the uploader never got, and the spool file still held
                // them at their offsets, awaiting an answer.
                let unanswered = inspection.stored.rows - inspection.acknowledgedByUploader
                #expect(unanswered > 0 && unanswered <= inspection.awaitingAnswer)
                #expect(inspection.refusedDuring > 0)
                #expect(inspection.stored.rows == inspection.stored.distinct)
            }
            #expect(run.drained)
            #expect(run.tally.rows == rowCount && run.tally.distinct == rowCount, "COUNT(*) = COUNT(DISTINCT event_id) = acknowledged: \(run.tally)")
            #expect(run.tally.lost == 0 && run.tally.duplicated == 0 && run.tally.delivered == rowCount)
            #expect(run.deadLettered == 0)
        }

        @Test("an outage that begins with a lost answer, the uploading process killed and restarted during it, ends with every row once")
        func anOutageWithARestartLosesAndDuplicatesNothing() async throws {
            let run = try await onOwnThread { try StorageWriteOutageRun.run(seed: soakSeed(16)) }
            run.tally.report("storage-write-outage")
            print("storage-write-outage: \(run.tally); cut \(run.cut); \(run.refusedDuringOutage) connections refused during the outage")
            #expect(run.cut.count == 1 && run.cut.allSatisfy(\.answerDropped), "the outage began after the emulator applied a request")
            #expect(run.refusedDuringOutage > 0, "the uploaders tried during the outage")
            #expect(run.acknowledgedDuringOutage > 0, "appends went on during the outage")
            #expect(run.remaining == 0)
            #expect(run.tally.rows == run.tally.distinct, "COUNT(*) = COUNT(DISTINCT event_id): \(run.tally)")
            #expect(run.tally.duplicated == 0)
            #expect(run.tally.lost == 0, "lost e.g. \(run.tally.lostExamples)")
            #expect(run.tally.delivered == run.tally.appended)
            #expect(run.tally.rows - run.tally.appended == run.tally.unannounced && run.tally.unannounced <= 2)
            #expect(run.deadLettered == 0)
        }
    }
}

extension StorageWriteKillRun {
    /// Rounds of a spool-torture child appending and uploading through the Write API, each killed with SIGKILL —
    /// aimed, through a relaying `TCPFaultProxy`, at a moment an AppendRows request awaits its answer — and restarted
    /// on the same file; then a drain in this process.
    static func run(rounds: Int, seed: UInt64) throws -> StorageWriteKillRun {
        let bench = try StorageWriteFaultBench(datasetPrefix: "swkill", rowMarker: "sw\(seed)r")
        defer { bench.stop() }
        let proxy = bench.proxy
        var random = SeededRandom(seed: seed)
        var acknowledged: Set<String> = []
        var midRequestKills = 0
        for round in 0..<rounds {
            let prefix = "sw\(seed)r\(round)"
            let child = try bench.launchTorture(prefix: prefix)
            // The previous child's lease expires first (2 s); a few of this child's requests go through, then the
            // next one in flight is aimed at, after a random pause.
            let through = proxy.statistics.answers + Int.random(in: 0...3, using: &random)
            _ = waitUntil(.seconds(10), pollEvery: .milliseconds(1), { proxy.statistics.answers >= through })
            if waitUntil(.seconds(10), pollEvery: .milliseconds(1), { proxy.inFlight > 0 }) {
                usleep(UInt32.random(in: 0...5_000, using: &random))
                if proxy.inFlight == 0 {
                    _ = waitUntil(.seconds(5), pollEvery: .milliseconds(1), { proxy.inFlight > 0 })
                }
                if proxy.inFlight > 0 { midRequestKills += 1 }
            }
            child.kill(signal: SIGKILL)
            acknowledged.formUnion(acknowledgedIds(in: child.waitForExit()))
            try bench.waitUntilAnswered()
        }

        // The rest, in this process, straight to the emulator, once the last child's lease has expired.
        let spool = try Spool(path: bench.spoolPath)
        defer { spool.close() }
        let integrity = try spool.outbox.check(full: true)
        // Before the drain, with no process writing: the table against the spool file's books.
        let storedBeforeDrain = try bench.counts().rows
        let pendingBeforeDrain = try spool.status().pendingRows
        let awaitingBeforeDrain = try spool.writeStreams().reduce(0) { $0 + $1.heldRows }
        let uploader = try SpoolUploader(
            spool: spool, destination: bench.destination(throughProxy: false),
            configuration: quickUploaderConfiguration()
        )
        let drained = try uploader.drain(timeout: .seconds(60), leasePolicy: .wait)
        let tally = try bench.tally(acknowledged: acknowledged)
        // Every row the spool ever held is in the table once (checked by the test): those that left the outbox
        // before the drain are the table's rows less the ones still pending then.
        let leftBeforeDrain = tally.rows - pendingBeforeDrain
        return StorageWriteKillRun(
            tally: tally, rounds: rounds, midRequestKills: midRequestKills, remaining: drained.remainingRows,
            storedBeforeDrain: storedBeforeDrain, leftBeforeDrain: leftBeforeDrain, awaitingBeforeDrain: awaitingBeforeDrain,
            deadLettered: try spool.deadLetteredEventIds().count, integrity: integrity, proxy: proxy.statistics
        )
    }
}

extension StorageWriteOutageRun {
    /// A spool-torture child appends and uploads through a `TCPFaultProxy`; the proxy cuts a request's answer after
    /// the emulator applied it and then refuses every connection (the outage); the child is killed with SIGKILL during
    /// the outage and a new one appends on the same file; the outage ends, the new child delivers, is killed too, and
    /// this process drains the rest.
    static func run(seed: UInt64) throws -> StorageWriteOutageRun {
        let bench = try StorageWriteFaultBench(datasetPrefix: "swoutage", rowMarker: "swo\(seed)l")
        defer { bench.stop() }
        let proxy = bench.proxy
        var random = SeededRandom(seed: seed)
        var acknowledged: Set<String> = []
        let first = try bench.launchTorture(prefix: "swo\(seed)l0")
        usleep(UInt32.random(in: 1_000_000...2_000_000, using: &random))
        // The outage begins with a lost answer: the next request with rows is applied, its answer dropped.
        proxy.cutAfterNextRequest(thenRefuse: true)
        guard waitUntil(.seconds(20), { !proxy.statistics.cuts.isEmpty }) else {
            throw ScenarioError(message: "the cut never happened: \(proxy.statistics)")
        }
        let refusedAtStart = proxy.statistics.refusedConnections
        usleep(UInt32.random(in: 500_000...1_500_000, using: &random))
        first.kill(signal: SIGKILL)
        let firstIds = acknowledgedIds(in: first.waitForExit())
        acknowledged.formUnion(firstIds)

        // A new life of the process during the outage: it appends, and its uploader (after the lease) is refused.
        let second = try bench.launchTorture(prefix: "swo\(seed)l1")
        usleep(4_000_000)
        let refusedDuringOutage = proxy.statistics.refusedConnections - refusedAtStart
        let acknowledgedDuringOutage = acknowledgedIds(in: second.standardOutput).count
        proxy.setRefusing(false)
        usleep(UInt32.random(in: 2_000_000...3_000_000, using: &random))
        second.kill(signal: SIGKILL)
        acknowledged.formUnion(acknowledgedIds(in: second.waitForExit()))
        try bench.waitUntilAnswered()

        let spool = try Spool(path: bench.spoolPath)
        defer { spool.close() }
        let uploader = try SpoolUploader(spool: spool, destination: bench.destination(), configuration: quickUploaderConfiguration())
        let drained = try uploader.drain(timeout: .seconds(60), leasePolicy: .wait)
        return StorageWriteOutageRun(
            tally: try bench.tally(acknowledged: acknowledged),
            cut: proxy.statistics.cuts, refusedDuringOutage: refusedDuringOutage,
            acknowledgedDuringOutage: acknowledgedDuringOutage, remaining: drained.remainingRows,
            deadLettered: try spool.deadLetteredEventIds().count
        )
    }
}
