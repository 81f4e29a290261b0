import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// Four processes append to one spool file while two others run uploaders on it: the lease lets exactly one drain at
    /// a time, and when the holder is killed the other takes over once the lease expires.
    @Suite("Several processes on one spool", .serialized)
    struct MultiProcessTests {
        @Test("four appenders and two uploaders: one uploader at a time, takeover after the holder's SIGKILL, nothing lost")
        func oneUploaderAtATimeAndTakeoverAfterKill() throws {
            let endpoint = try Emulator.url()
            let dataset = Emulator.uniqueDataset("multi")
            try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
            let directory = try TemporaryDirectory()
            let path = directory.file("spool.db").path
            // Each uploader talks through a proxy of its own: the proxies' records tell who sent what, and when.
            let proxies = try (0..<2).map { _ in try FaultProxy(upstream: endpoint) }
            defer { proxies.forEach { $0.stop() } }
            let torture = BuiltProducts.path("spool-torture")

            // Create the file before the processes race to.
            try Spool(path: path).close()
            let uploaders = try proxies.map { proxy in
                try ChildProcess.launch(torture, [
                    "--db", path, "--no-append", "--endpoint", proxy.baseURL, "--project", Emulator.project,
                    "--dataset", dataset, "--lease-seconds", "2",
                ])
            }
            defer { uploaders.filter(\.isRunning).forEach { $0.kill(signal: SIGKILL); $0.waitForExit() } }
            let appenders = try (0..<4).map { number in
                try ChildProcess.launch(torture, ["--db", path, "--prefix", "m\(number)", "--rate", "300", "--count", "2400"])
            }

            // Let the first holder drain for a while, then kill it mid-stream.
            let started = waitUntil(.seconds(20)) { proxies.contains { $0.exchanges.count >= 5 } }
            #expect(started, "an uploader started sending")
            let holderIndex = proxies[0].exchanges.count >= proxies[1].exchanges.count ? 0 : 1
            let other = 1 - holderIndex
            let killedAt = ContinuousClock.now
            uploaders[holderIndex].kill(signal: SIGKILL)
            uploaders[holderIndex].waitForExit()
            // The proxy stamps a request once it has read all of it: one the holder sent just before the signal may
            // be stamped after `killedAt`, but never after the holder is known dead.
            let deadAt = ContinuousClock.now
            let tookOver = waitUntil(.seconds(20)) { proxies[other].exchanges.contains { $0.startedAt > killedAt } }
            #expect(tookOver, "the other uploader took over after the lease expired")

            var acknowledged: Set<String> = []
            for appender in appenders {
                let output = appender.waitForExit()
                #expect(appender.exitCode == 0, "appender failed: \(appender.standardError.suffix(300))")
                #expect(!output.contains("fail "), "no append failed (busy or otherwise)")
                acknowledged.formUnion(acknowledgedIds(in: output))
            }
            let spool = try Spool(path: path)
            defer { spool.close() }
            let drained = try waitUntil(.seconds(120), pollEvery: .milliseconds(200)) { try spool.status().pendingRows == 0 }
            #expect(drained)

            // Exactly one drains at a time: no request of one uploader overlaps a request of the other, the killed
            // holder sent nothing after its death, and the survivor nothing before it (it never held the lease).
            let sent = proxies.map { $0.exchanges.filter { $0.path.hasSuffix("/insertAll") } }
            let overlaps = sent[0].filter { first in sent[1].contains { $0.startedAt < first.endedAt && first.startedAt < $0.endedAt } }
            #expect(overlaps.isEmpty, "\(overlaps.count) requests overlapped between the two uploaders")
            #expect(sent[holderIndex].allSatisfy { $0.startedAt < deadAt }, "the holder sent nothing once dead")
            #expect(sent[other].allSatisfy { $0.startedAt > killedAt }, "the standby never sent while the holder lived")
            let takeover = (sent[other].map(\.startedAt).min() ?? killedAt) - killedAt
            print("multi-process: holder sent \(sent[holderIndex].count) requests, standby \(sent[other].count) after the kill; takeover after \(takeover)")

            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            let tally = DeliveryTally(acknowledged: acknowledged, stored: stored, deadLettered: try spool.deadLetteredEventIds())
            tally.report("multi-process")
            #expect(tally.appended == 4 * 2400)
            #expect(tally.lost == 0, "lost e.g. \(tally.lostExamples)")
            #expect(tally.deadLettered == 0)
            #expect(try spool.outbox.check(full: true) == ["ok"])
        }
    }
}
