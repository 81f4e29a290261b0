import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("spoolctl status")
struct StatusCommandTests {
    @Test("JSON status reports exactly the rows and bytes appended, per table and in total, and exits 0 when healthy")
    func jsonStatusMatchesWhatWasAppended() throws {
        let fixture = try SpoolFixture()
        let search = try fixture.append(7, to: "user_search_events", prefix: "s")
        let cart = try fixture.append(3, to: "cart_modification_events", prefix: "c")

        let result = try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"])
        #expect(result.code == 0, "\(result.stderr)")
        let json = try #require(try Spoolctl.json(result.stdout) as? [String: Any])
        #expect(json["healthy"] as? Bool == true)
        let totals = try #require(json["totals"] as? [String: Any])
        #expect(totals["pendingRows"] as? Int == 10)
        #expect(totals["pendingBytes"] as? Int == search.bytes + cart.bytes)
        #expect(totals["deadLetters"] as? Int == 0)
        #expect(json["lease"] is NSNull)
        let tables = try #require(json["tables"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: tables.map { ($0["table"] as? String ?? "", $0) })
        #expect(byName["user_search_events"]?["pendingRows"] as? Int == 7)
        #expect(byName["user_search_events"]?["pendingBytes"] as? Int == search.bytes)
        #expect(byName["cart_modification_events"]?["pendingRows"] as? Int == 3)
        #expect(byName["cart_modification_events"]?["paused"] as? Bool == false)
        let database = try #require(json["database"] as? [String: Any])
        #expect((database["bytes"] as? Int ?? 0) > 0)
        #expect(database["path"] as? String == fixture.path)
    }

    @Test("status says which tables the configuration makes .full and which stay .normal, in text and JSON")
    func statusShowsDurabilityPerTable() throws {
        let fixture = try SpoolFixture()
        try fixture.append(2, to: "user_search_events")
        let config = try fixture.writeConfiguration([
            "spool": ["path": fixture.path, "durability": "normal", "fullDurabilityTables": ["order_transaction_events", "payment_events"]],
        ])

        let text = try Spoolctl.run(["status", "--config", config])
        #expect(text.code == 0, "\(text.stderr)")
        #expect(text.stdout.contains("durable full for order_transaction_events, payment_events; normal for the rest"))
        let plain = try Spoolctl.run(["status", "--db", fixture.path])
        #expect(plain.stdout.contains("durable normal for every table"))

        let result = try Spoolctl.run(["status", "--config", config, "--format", "json"])
        let json = try #require(try Spoolctl.json(result.stdout) as? [String: Any])
        let durability = try #require(json["durability"] as? [String: Any])
        #expect(durability["default"] as? String == "normal")
        #expect(durability["fullTables"] as? [String] == ["order_transaction_events", "payment_events"])
    }

    @Test("text status is an aligned table within 80 columns with a total line")
    func textStatusFitsEightyColumns() throws {
        let fixture = try SpoolFixture()
        try fixture.append(12, to: "recommendation_impression_events")
        try fixture.append(1_204, to: "user_search_events")

        let result = try Spoolctl.run(["status", "--db", fixture.path])
        #expect(result.code == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = try #require(lines.first { $0.hasPrefix("TABLE") })
        let search = try #require(lines.first { $0.hasPrefix("user_search_events") })
        let total = try #require(lines.first { $0.hasPrefix("TOTAL") })
        #expect(search.contains("1,204"))
        #expect(total.contains("1,216"))
        #expect(lines.contains { $0.hasPrefix("recommendation_impression_events") })
        for line in [header, search, total] {
            #expect(line.count <= 80, "too wide: \(line)")
        }
        // The PENDING column is right-aligned: numbers end where the header ends.
        let pendingEnd = try #require(header.range(of: "PENDING")).upperBound
        let offset = header.distance(from: header.startIndex, to: pendingEnd)
        #expect(search.prefix(offset).hasSuffix("1,204"))
        #expect(total.prefix(offset).hasSuffix("1,216"))
        #expect(result.stdout.contains("lease   none"))
    }

    @Test("dead letters need attention (exit 2) unless they are older than --since")
    func deadLettersNeedAttention() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 2, bad: 3)

        let attention = try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"])
        #expect(attention.code == 2, "\(attention.stderr)")
        let json = try #require(try Spoolctl.json(attention.stdout) as? [String: Any])
        #expect(json["healthy"] as? Bool == false)
        #expect((json["totals"] as? [String: Any])?["deadLetters"] as? Int == 3)
        let table = try #require((json["tables"] as? [[String: Any]])?.first { $0["table"] as? String == "user_search_events" })
        #expect(table["deadLetters"] as? [String: Int] == ["invalid": 3])
        #expect(table["deliveredRows"] as? Int == 2)
        #expect((json["attention"] as? [[String: Any]])?.first?["kind"] as? String == "deadLetters")
        #expect(json["lastSuccessAt"] is String)

        let text = try Spoolctl.run(["status", "--db", fixture.path])
        #expect(text.code == 2)
        #expect(text.stdout.contains("needs attention"))
        #expect(text.stdout.contains("dead    user_search_events: invalid 3"))

        let recentOnly = try Spoolctl.run(["status", "--db", fixture.path, "--since", "2099-01-01T00:00:00Z"])
        #expect(recentOnly.code == 0, "\(recentOnly.stdout)")
        let lastHour = try Spoolctl.run(["status", "--db", fixture.path, "--since", "1h"])
        #expect(lastHour.code == 2)
    }

    @Test("rows pending longer than --max-age need attention (exit 2); younger ones do not")
    func oldPendingRowsNeedAttention() throws {
        let fixture = try SpoolFixture()
        let twoHoursAgo = Int64(Date().timeIntervalSince1970 * 1000) - 2 * 3_600_000
        try fixture.append(4, to: "user_search_events", now: twoHoursAgo)

        let stale = try Spoolctl.run(["status", "--db", fixture.path, "--max-age", "1h"])
        #expect(stale.code == 2)
        #expect(stale.stdout.contains("user_search_events has rows pending for 2h"))
        let fresh = try Spoolctl.run(["status", "--db", fixture.path, "--max-age", "3h"])
        #expect(fresh.code == 0, "\(fresh.stdout)")
        let json = try #require(try Spoolctl.json(try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"]).stdout) as? [String: Any])
        let age = try #require((json["tables"] as? [[String: Any]])?.first?["oldestPendingAgeSeconds"] as? Int)
        #expect(age >= 7_200 && age < 7_500)
    }

    @Test("a missing spool file, a missing configuration file or no spool at all is an error with exit code 1")
    func missingFilesAreErrors() throws {
        let fixture = try SpoolFixture()
        let missingSpool = try Spoolctl.run(["status", "--db", fixture.directory.file("nope.db").path])
        #expect(missingSpool.code == 1)
        #expect(missingSpool.stderr.contains("no spool file at"))
        #expect(!FileManager.default.fileExists(atPath: fixture.directory.file("nope.db").path))

        let missingConfiguration = try Spoolctl.run(["status", "--config", fixture.directory.file("nope.json").path])
        #expect(missingConfiguration.code == 1)
        #expect(missingConfiguration.stderr.contains("cannot read the configuration file"))

        let fromEnvironment = try Spoolctl.run(["status"], environment: ["SPOOL_CONFIG": fixture.directory.file("gone.json").path])
        #expect(fromEnvironment.code == 1)
        #expect(fromEnvironment.stderr.contains("gone.json"))

        let brokenConfiguration = try fixture.writeConfiguration(["spool": ["path": 12]])
        let broken = try Spoolctl.run(["status", "--config", brokenConfiguration])
        #expect(broken.code == 1)
        #expect(broken.stderr.contains("\"spool.path\" must be a string"))

        let badUsage = try Spoolctl.run(["status", "--max-age", "soon"])
        #expect(badUsage.code == 1)
        #expect(badUsage.stdout.isEmpty)
    }

    @Test("the spool is found through the configuration file, SPOOL_CONFIG, with a path relative to the file")
    func spoolFoundThroughConfiguration() throws {
        let fixture = try SpoolFixture()
        try fixture.append(5, to: "user_search_events")
        let configuration = try fixture.writeConfiguration(["spool": ["path": "spool.db"]])

        let explicit = try Spoolctl.run(["status", "--config", configuration, "--format", "json"])
        #expect(explicit.code == 0, "\(explicit.stderr)")
        #expect(((try Spoolctl.json(explicit.stdout) as? [String: Any])?["totals"] as? [String: Any])?["pendingRows"] as? Int == 5)

        let environment = try Spoolctl.run(["status", "--format", "json"], environment: ["SPOOL_CONFIG": configuration])
        #expect(environment.code == 0, "\(environment.stderr)")
        #expect(((try Spoolctl.json(environment.stdout) as? [String: Any])?["database"] as? [String: Any])?["path"] as? String == fixture.path)
    }

    @Test("status reads the file while another process's spool keeps appending")
    func readsBesideAnAppendingProcess() throws {
        let fixture = try SpoolFixture()
        try fixture.append(10, to: "user_search_events")
        let spool = try fixture.open()
        defer { spool.close() }
        let appended = LockedValue(0)
        let stop = LockedValue(false)
        let writer = Thread {
            var index = 0
            while !stop.value {
                _ = try? spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "w-\(index)", index: index), to: "user_search_events")
                index += 1
                appended.update { $0 = index }
            }
        }
        writer.start()
        defer { stop.update { $0 = true } }
        while appended.value < 50 { usleep(1_000) }

        let result = try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"])
        #expect(result.code == 0, "\(result.stderr)")
        let pending = try #require(((try Spoolctl.json(result.stdout) as? [String: Any])?["totals"] as? [String: Any])?["pendingRows"] as? Int)
        #expect(pending >= 60)
    }
}
