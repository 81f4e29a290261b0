import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("Crash safety")
struct CrashTests {
    @Test("every event acknowledged before a SIGKILL is in the file afterwards, and the file is sound")
    func acknowledgedEventsSurviveKill9() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("spool.db").path
        var acknowledged: Set<String> = []
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let child = try ChildProcess.launch(
                BuiltProducts.path("spool-torture"),
                ["--db", path, "--prefix", "r\(round)", "--rate", "20000"]
            )
            // Kill at a random moment once it has acknowledged something.
            try child.waitForOutput(containing: "ack r\(round)-", timeout: .seconds(30))
            usleep(UInt32.random(in: 1_000...150_000, using: &generator))
            child.kill(signal: SIGKILL)
            let output = child.waitForExit()
            let acks = output.split(separator: "\n").filter { $0.hasPrefix("ack ") }.map { String($0.dropFirst(4)) }
            #expect(!acks.isEmpty, "round \(round) acknowledged events before the kill")
            acknowledged.formUnion(acks)
        }
        let spool = try Spool(path: path)
        defer { spool.close() }
        #expect(try spool.outbox.check(full: true) == ["ok"])
        let stored = try spool.outbox.claim(table: "user_search_events", now: Int64.max, maxRows: 10_000_000, maxBytes: Int.max)
        let storedIds = Set(stored.map(\.insertId))
        let missing = acknowledged.subtracting(storedIds)
        #expect(missing.isEmpty, "\(missing.count) acknowledged events are missing, e.g. \(missing.prefix(3))")
        #expect(stored.count == storedIds.count, "no event is stored twice")
        #expect(acknowledged.count > 0)
    }
}
