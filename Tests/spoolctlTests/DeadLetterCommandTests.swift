import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("spoolctl dead-letters")
struct DeadLetterCommandTests {
    private func listJSON(_ arguments: [String]) throws -> [[String: Any]] {
        let result = try Spoolctl.run(["dead-letters", "list", "--format", "json"] + arguments)
        #expect(result.code == 0, "\(result.stderr)")
        return try #require(try Spoolctl.json(result.stdout) as? [[String: Any]])
    }

    @Test("list shows the verdicts newest first without payload values, and its filters narrow the list")
    func listAndFilters() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 2, bad: 3)

        let text = try Spoolctl.run(["dead-letters", "list", "--db", fixture.path])
        #expect(text.code == 0, "\(text.stderr)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        #expect(lines[0].hasPrefix("ID"))
        #expect(lines.dropFirst().allSatisfy { $0.contains("user_search_events") && $0.contains("invalid") && $0.contains("response_time_ms") })
        #expect(lines.allSatisfy { $0.count <= 80 })
        #expect(!text.stdout.contains("organic bananas"))

        let all = try listJSON(["--db", fixture.path])
        #expect(all.map { $0["insertId"] as? String } == ["bad-2", "bad-1", "bad-0"])
        #expect(all.allSatisfy { $0["reason"] as? String == "invalid" && $0["location"] as? String == "response_time_ms" })
        #expect(all.allSatisfy { $0["payload"] == nil && $0["attempts"] as? Int == 1 })
        #expect(all.first?["message"] as? String == "Cannot convert value to integer (bad value): 12.7")

        #expect(try listJSON(["--db", fixture.path, "--limit", "2"]).count == 2)
        #expect(try listJSON(["--db", fixture.path, "--reason", "poison"]).isEmpty)
        #expect(try listJSON(["--db", fixture.path, "--table", "cart_modification_events"]).isEmpty)
        #expect(try listJSON(["--db", fixture.path, "--since", "1h"]).count == 3)
        #expect(try listJSON(["--db", fixture.path, "--since", "2099-01-01"]).isEmpty)
        #expect(try listJSON(["--db", fixture.path, "--before", "1h"]).isEmpty)
    }

    @Test("show prints BigQuery's verdict and the payload pretty-printed; an unknown id exits 1")
    func showOneDeadLetter() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 0, bad: 1)
        let id = try #require(try listJSON(["--db", fixture.path]).first?["id"] as? Int)

        let shown = try Spoolctl.run(["dead-letters", "show", "--db", fixture.path, String(id)])
        #expect(shown.code == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("reason:        invalid"))
        #expect(shown.stdout.contains("location:      response_time_ms"))
        #expect(shown.stdout.contains("message:       Cannot convert value to integer (bad value): 12.7"))
        #expect(shown.stdout.contains("insert id:     bad-0"))
        #expect(shown.stdout.contains("\n  \"event_id\": \"bad-0\",\n"))
        #expect(shown.stdout.contains("\"query\": \"organic bananas\""))

        let json = try Spoolctl.run(["dead-letters", "show", "--db", fixture.path, "--format", "json", String(id)])
        let object = try #require(try Spoolctl.json(json.stdout) as? [String: Any])
        #expect((object["payload"] as? [String: Any])?["event_id"] as? String == "bad-0")

        let missing = try Spoolctl.run(["dead-letters", "show", "--db", fixture.path, "999999"])
        #expect(missing.code == 1)
        #expect(missing.stderr.contains("no dead letter with id 999999"))
    }

    @Test("requeue moves rows back with their insert ids; rows still invalid under the configured schema stay, with their new verdict")
    func requeueRevalidates() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 1, bad: 3, invalidUnderSchema: 1)
        let configuration = try fixture.writeConfiguration([
            "spool": ["path": "spool.db"],
            "schemas": ["directory": SeedSchemas.directory.path],
        ])

        let result = try Spoolctl.run(["dead-letters", "requeue", "--config", configuration])
        #expect(result.code == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("requeued 3 rows to the outbox with their original insert ids"))
        #expect(result.stdout.contains("1 rows stay dead letters"))
        #expect(result.stdout.contains("user_search_events: invalid at response_time_ms: Cannot convert value to integer (bad value): 12.7"))
        #expect(try fixture.pendingInsertIds() == ["bad-0", "bad-1", "bad-2"])
        #expect(try listJSON(["--config", configuration]).map { $0["insertId"] as? String } == ["bad-float-0"])

        // Without a schema the row is requeued as it is (by id).
        let id = try #require(try listJSON(["--db", fixture.path]).first?["id"] as? Int)
        let unchecked = try Spoolctl.run(["dead-letters", "requeue", "--db", fixture.path, String(id)])
        #expect(unchecked.code == 0, "\(unchecked.stderr)")
        #expect(unchecked.stderr.contains("not validated (no schema configured): user_search_events"))
        #expect(try fixture.pendingInsertIds() == ["bad-0", "bad-1", "bad-2", "bad-float-0"])
        #expect(try listJSON(["--db", fixture.path]).isEmpty)
    }

    @Test("purge needs --yes when stdin is not a terminal, then says how many rows it removed")
    func purgeNeedsConfirmation() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 0, bad: 4)

        let unconfirmed = try Spoolctl.run(["dead-letters", "purge", "--db", fixture.path], stdin: Data("y\n".utf8))
        #expect(unconfirmed.code == 1)
        #expect(unconfirmed.stderr.contains("pass --yes"))
        #expect(try listJSON(["--db", fixture.path]).count == 4)

        let one = try #require(try listJSON(["--db", fixture.path]).last?["id"] as? Int)
        let byId = try Spoolctl.run(["dead-letters", "purge", "--db", fixture.path, "--yes", String(one)])
        #expect(byId.code == 0, "\(byId.stderr)")
        #expect(byId.stdout == "removed 1 dead letters\n")

        let rest = try Spoolctl.run(["dead-letters", "purge", "--db", fixture.path, "--yes", "--reason", "invalid"])
        #expect(rest.code == 0)
        #expect(rest.stdout == "removed 3 dead letters\n")
        #expect(try listJSON(["--db", fixture.path]).isEmpty)
        #expect(try fixture.pendingInsertIds().isEmpty)
    }
}
