import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("spoolctl status: the delivery API")
struct StatusDeliveryAPITests {
    @Test("status names the API, and under storageWrite each table's stream, its next offset and the rows awaiting an answer")
    func statusShowsTheAPIAndStreams() throws {
        let fixture = try SpoolFixture()
        try fixture.append(4, to: "user_search_events")
        let stream = "projects/test-project/datasets/analytics/tables/user_search_events/streams/s1"
        do {
            let spool = try fixture.open()
            defer { spool.close() }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            #expect(try spool.outbox.openWriteStream(table: "user_search_events", stream: stream, now: now))
            let rows = try spool.outbox.claim(table: "user_search_events", now: now, maxRows: 3, maxBytes: 1 << 20)
            #expect(try spool.outbox.giveOffsets(table: "user_search_events", stream: stream, requests: [rows.map(\.id)], now: now) == 0)
        }
        let storageWrite = try fixture.writeConfiguration([
            "spool": ["path": fixture.path],
            "destination": ["project": "test-project", "dataset": "analytics", "api": "storageWrite"],
        ])
        let text = try Spoolctl.run(["status", "--config", storageWrite])
        #expect(text.code == 0, "\(text.stderr)")
        #expect(text.stdout.contains("api     storageWrite (exactly once"))
        #expect(text.stdout.contains("stream  user_search_events: \(stream)"))
        #expect(text.stdout.contains("next offset 3, 3 rows awaiting an answer"))

        let json = try #require(try Spoolctl.json(Spoolctl.run(["status", "--config", storageWrite, "--format", "json"]).stdout) as? [String: Any])
        let delivery = try #require(json["delivery"] as? [String: Any])
        #expect(delivery["api"] as? String == "storageWrite")
        let streams = try #require(delivery["streams"] as? [[String: Any]])
        #expect(streams.count == 1)
        #expect(streams.first?["stream"] as? String == stream)
        #expect(streams.first?["nextOffset"] as? Int == 3)
        #expect(streams.first?["awaitingRows"] as? Int == 3)

        let watch = try Spoolctl.launch(["status", "--config", storageWrite, "--watch", "200ms"])
        let deadline = ContinuousClock.now + .seconds(30)
        while !watch.standardOutput.contains("rows awaiting an answer"), ContinuousClock.now < deadline, watch.isRunning {
            usleep(10_000)
        }
        watch.kill(signal: SIGINT)
        watch.waitForExit()
        #expect(watch.standardOutput.contains("api     storageWrite (exactly once"), "the watch shows the same lines")
        #expect(watch.standardOutput.contains("next offset 3, 3 rows awaiting an answer"))

        let insertAll = try fixture.writeConfiguration([
            "spool": ["path": fixture.path], "destination": ["project": "test-project", "dataset": "analytics"],
        ], name: "insert-all.json")
        #expect(try Spoolctl.run(["status", "--config", insertAll]).stdout.contains("api     insertAll (at least once)"))
        #expect(try Spoolctl.run(["status", "--db", fixture.path]).stdout.contains("api     unknown"))
    }
}
