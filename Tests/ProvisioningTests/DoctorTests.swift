import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// `spoolctl doctor`, run as a child process: one ✓/✗ line per check, exit 0 or 2, and nothing modified.
@Suite("spoolctl doctor", .serialized)
struct DoctorTests {
    /// A set-up where everything is right: tables created from the schema files, a spool file with rows waiting.
    private func greenFixture(endpoint: String? = nil) throws -> ProvisioningFixture {
        let fixture = try ProvisioningFixture(endpoint: endpoint)
        try fixture.writeConfiguration()
        try Emulator.createSeedTables(endpoint: fixture.endpoint, dataset: fixture.dataset)
        try fixture.makeSpool()
        return fixture
    }

    /// Runs doctor and checks that it left the spool file's bytes (and its -wal/-shm, if any) as they were.
    private func doctor(_ fixture: ProvisioningFixture, _ arguments: [String] = []) throws -> (code: Int32, stdout: String, stderr: String) {
        let before = try fixture.spoolFiles()
        let result = try fixture.spoolctl(["doctor"] + arguments)
        #expect(try fixture.spoolFiles() == before, "doctor modified nothing")
        return result
    }

    @Test("a correct set-up is all green: exit 0 and a ✓ for every check")
    func correctSetUpIsAllGreen() throws {
        let fixture = try greenFixture()
        let result = try doctor(fixture)
        #expect(result.code == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.lines(startingWith: "✗").isEmpty)
        let passed = result.stdout.lines(startingWith: "✓")
        #expect(passed.contains { $0.hasPrefix("✓ configuration \(fixture.configPath) parses (5 table schemas") })
        #expect(passed.contains { $0 == "✓ credentials: no credentials (unauthenticated requests); no token needed" })
        #expect(passed.contains { $0 == "✓ \(fixture.endpoint) answers" })
        #expect(passed.contains { $0 == "✓ dataset \(Emulator.project):\(fixture.dataset) exists (location US)" })
        #expect(passed.filter { $0.hasPrefix("✓ table ") && $0.hasSuffix("exists and matches its schema file") }.count == 5)
        #expect(passed.contains { $0.hasPrefix("✓ spool \(fixture.spoolPath): schema version ") && $0.contains("1 pending rows") })
        #expect(passed.contains { $0 == "✓ quick_check: ok" })
        #expect(passed.contains { $0 == "✓ running totals match the rows" })
        #expect(passed.contains { $0.hasPrefix("✓ uploader lease: free") })
        #expect(result.stdout.hasSuffix("all 14 checks passed\n"))
    }

    @Test("--format json carries the same checks, with stable kinds")
    func jsonFormatCarriesTheSameChecks() throws {
        let fixture = try greenFixture()
        let text = try doctor(fixture)
        let json = try doctor(fixture, ["--format", "json"])
        #expect(json.code == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == true)
        let checks = try #require(report["checks"] as? [[String: Any]])
        // Views are checked only when schemas.views names a folder (ViewsTests).
        #expect(Set(checks.compactMap { $0["kind"] as? String }) == Set(PreflightCheck.Kind.allCases.filter { $0 != .view }.map(\.rawValue)))
        let messages = checks.compactMap { $0["message"] as? String }.map { "✓ " + $0 }
        #expect(messages == text.stdout.lines(startingWith: "✓").map(String.init), "the same lines as the text output")
    }

    @Test("a wrong dataset: ✗ dataset not found and ✗ for every table, exit 2")
    func wrongDataset() throws {
        let fixture = try greenFixture()
        try fixture.writeConfiguration(dataset: "no_such_dataset")
        let result = try doctor(fixture)
        #expect(result.code == 2)
        #expect(result.stdout.contains("✗ dataset \(Emulator.project):no_such_dataset not found: create it with `spoolctl tables create`"))
        #expect(result.stdout.lines(startingWith: "✗ table").count == 5)
        #expect(result.stdout.contains("✓ quick_check: ok"), "the spool checks still run")
    }

    @Test("a missing table: ✗ for that table alone, exit 2")
    func missingTable() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration()
        try Emulator.createSeedTables(endpoint: fixture.endpoint, dataset: fixture.dataset, tables: SeedSchemas.tableNames.filter { $0 != "order_transaction_events" })
        try fixture.makeSpool()
        let result = try doctor(fixture)
        #expect(result.code == 2)
        #expect(result.stdout.lines(startingWith: "✗") == ["✗ table order_transaction_events → \(fixture.dataset).order_transaction_events not found: create it with `spoolctl tables create`"])
    }

    @Test("a table name in code that matches no table shows up from the rows waiting in the spool")
    func waitingRowsForAnUnknownTable() throws {
        let fixture = try greenFixture()
        try fixture.makeSpool(rowsFor: ["user_events"])
        let result = try doctor(fixture)
        #expect(result.code == 2)
        #expect(result.stdout.contains("✗ table user_events → \(fixture.dataset).user_events not found"))
    }

    @Test("a schema file that differs from the live table: ✗ with the diff field by field")
    func schemaDifference() throws {
        let fixture = try greenFixture()
        try fixture.editSchema("cart_modification_events") { fields in
            let index = fields.firstIndex { $0.name == "quantity" }!
            fields[index].type = .float
            fields[index].mode = .required
        }
        let result = try doctor(fixture)
        #expect(result.code == 2)
        #expect(result.stdout.contains("✗ table cart_modification_events → \(fixture.dataset).cart_modification_events does not match its schema file (2 differences)"))
        #expect(result.stdout.contains("    quantity: type INTEGER in the table, FLOAT in the schema file"))
        #expect(result.stdout.contains("    quantity: mode NULLABLE in the table, REQUIRED in the schema file"))
    }

    @Test("a bad credentials file: ✗ credentials naming the file, BigQuery not contacted, exit 2")
    func badCredentialsFile() throws {
        let fixture = try greenFixture()
        let keyPath = fixture.directory.file("key.json").path
        try Data("this is not a key".utf8).write(to: URL(fileURLWithPath: keyPath))
        try fixture.writeConfiguration(credentials: "key.json")
        let result = try doctor(fixture)
        #expect(result.code == 2)
        let failed = result.stdout.lines(startingWith: "✗")
        #expect(failed.count == 2)
        #expect(failed.first?.hasPrefix("✗ credentials: ") == true && failed.first?.contains(keyPath) == true, "\(failed)")
        #expect(failed.last == "✗ \(fixture.endpoint) not checked: no usable credentials")
        #expect(!result.stdout.contains("this is not a key"), "the file's content is never printed")
    }

    @Test("a service account key: the key file is named, a token is obtained, and neither token nor key is printed")
    func serviceAccountKeyObtainsAToken() throws {
        let fixture = try greenFixture()
        let key = try TestServiceAccountKey()
        let tokenEndpoint = try TokenEndpointStub(configuration: .init(publicKey: key.publicKey))
        defer { tokenEndpoint.stop() }
        let keyPath = try key.writeKeyFile(in: fixture.directory, tokenURL: tokenEndpoint.tokenURL)
        // The emulator ignores the Authorization header, so it stands in for BigQuery here.
        try fixture.writeConfiguration(credentials: keyPath)
        let result = try doctor(fixture)
        #expect(result.code == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("✓ credentials: service account key file \(keyPath) (client_email \(TestServiceAccountKey.defaultClientEmail)); an access token was obtained"))
        #expect(tokenEndpoint.issuedTokens.count == 1)
        for secret in tokenEndpoint.issuedTokens + [key.pkcs8PEM.split(separator: "\n")[1].description] {
            #expect(!result.stdout.contains(secret) && !result.stderr.contains(secret))
        }
    }

    @Test("a key the token endpoint refuses: ✗ credentials with the endpoint's reason, exit 2")
    func refusedKeyFailsCredentials() throws {
        let fixture = try greenFixture()
        let key = try TestServiceAccountKey()
        let tokenEndpoint = try TokenEndpointStub(configuration: .init(publicKey: nil))
        defer { tokenEndpoint.stop() }
        let keyPath = try key.writeKeyFile(in: fixture.directory, tokenURL: tokenEndpoint.tokenURL)
        try fixture.writeConfiguration(credentials: keyPath)
        let result = try doctor(fixture)
        #expect(result.code == 2)
        let failed = result.stdout.lines(startingWith: "✗")
        #expect(failed.count == 2, "\(result.stdout)")
        #expect(failed.first?.hasPrefix("✗ credentials: service account key file \(keyPath)") == true, "\(failed)")
        #expect(failed.last == "✗ \(fixture.endpoint) not checked: no access token")
    }

    @Test("an unreachable endpoint: ✗ endpoint does not answer, exit 2")
    func unreachableEndpoint() throws {
        // A loopback port nothing listens on: the connection is refused at once.
        let fixture = try greenFixture()
        try fixture.writeConfiguration(endpoint: "http://127.0.0.1:1")
        let result = try doctor(fixture)
        #expect(result.code == 2)
        let failed = result.stdout.lines(startingWith: "✗")
        #expect(failed.count == 1)
        #expect(failed.first?.hasPrefix("✗ http://127.0.0.1:1 does not answer: ") == true, "\(failed)")
        #expect(!result.stdout.contains("✓ table"), "tables are not checked without an answer")
    }

    @Test("a corrupt spool file: ✗ spool cannot be opened, and its bytes are left as they were")
    func corruptSpoolFile() throws {
        let fixture = try greenFixture()
        try FileManager.default.removeItem(atPath: fixture.spoolPath)
        try Data((0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: fixture.spoolPath))
        let result = try doctor(fixture)
        #expect(result.code == 2)
        let failed = result.stdout.lines(startingWith: "✗")
        #expect(failed.count == 1)
        #expect(failed.first?.hasPrefix("✗ spool \(fixture.spoolPath) cannot be opened (notADatabase)") == true, "\(failed)")
    }

    @Test("damage inside a spool file that still opens: ✗ quick_check with SQLite's findings")
    func damagedPagesFailQuickCheck() throws {
        let fixture = try greenFixture()
        let spool = try Spool(path: fixture.spoolPath)
        for index in 0..<2000 {
            try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "bulk-\(index)", index: index), to: "user_search_events")
        }
        spool.close()
        // Overwrite the middle of the file (outbox pages, far from the header and the schema) with garbage.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.spoolPath))
        let middle = (bytes.count / 2) / 4096 * 4096
        bytes.replaceSubrange(middle..<(middle + 4096), with: Data(repeating: 0xA5, count: 4096))
        try bytes.write(to: URL(fileURLWithPath: fixture.spoolPath))

        let result = try doctor(fixture)
        #expect(result.code == 2)
        let failed = result.stdout.lines(startingWith: "✗")
        // Depending on which page the garbage hit, SQLite reports it from quick_check or from the first read.
        let damage = ["✗ quick_check found damage in \(fixture.spoolPath)", "✗ quick_check of \(fixture.spoolPath) failed", "✗ spool \(fixture.spoolPath) opens but cannot be read"]
        #expect(failed.count == 1 && damage.contains { failed[0].hasPrefix($0) }, "\(result.stdout)")
    }

    @Test("running totals corrupted with sqlite3: ✗ with each drifted figure; --repair-totals rewrites them and says what it fixed")
    func driftedTotalsAreFoundAndRepaired() throws {
        let fixture = try greenFixture()
        let edit = try ChildProcess.run("/usr/bin/sqlite3", [fixture.spoolPath, "UPDATE pending_by_table SET pending_rows = pending_rows + 41"])
        #expect(edit.code == 0, "sqlite3: \(edit.stderr)")

        let result = try doctor(fixture)
        #expect(result.code == 2)
        #expect(result.stdout.lines(startingWith: "✗") == ["✗ running totals of \(fixture.spoolPath) differ from its rows: repair them with `spoolctl doctor --repair-totals`"])
        #expect(result.stdout.contains("\n    user_search_events: pending rows recorded 42, counted 1\n"), "\(result.stdout)")
        #expect(result.stdout.contains("; 42 pending rows, "), "the spool line shows what the bookkeeping says")

        let repaired = try fixture.spoolctl(["doctor", "--repair-totals"])
        #expect(repaired.code == 0, "stdout: \(repaired.stdout) stderr: \(repaired.stderr)")
        #expect(repaired.stdout.hasPrefix("running totals of \(fixture.spoolPath) repaired (1 figure drifted):\n    user_search_events: pending rows recorded 42, counted 1\n"))
        #expect(repaired.stdout.contains("✓ running totals match the rows"))
        #expect(repaired.stdout.contains("; 1 pending rows, "))

        let again = try fixture.spoolctl(["doctor", "--repair-totals", "--format", "json"])
        #expect(again.code == 0)
        #expect(again.stderr.contains("running totals of \(fixture.spoolPath) matched the rows: nothing to repair"))
        #expect((try? JSONSerialization.jsonObject(with: Data(again.stdout.utf8))) != nil, "stdout stays one JSON document")
    }

    @Test("beside a spool another process has open: pending rows and the live lease are read, the file and its WAL untouched")
    func liveSpoolIsReadWithoutWriting() throws {
        let fixture = try greenFixture()
        let spool = try Spool(path: fixture.spoolPath)
        defer { spool.close() }
        for index in 0..<5 {
            try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "live-\(index)", index: index), to: "user_search_events")
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        _ = try spool.outbox.acquireLease(holder: "api-host:4242:1", now: now, ttl: .seconds(300))
        let database = try Data(contentsOf: URL(fileURLWithPath: fixture.spoolPath))
        let wal = try Data(contentsOf: URL(fileURLWithPath: fixture.spoolPath + "-wal"))

        let result = try fixture.spoolctl(["doctor"])
        #expect(result.code == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("; 6 pending rows, 0 dead letters"))
        #expect(result.stdout.contains("✓ uploader lease: held by api-host:4242:1, renewed "))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.spoolPath)) == database)
        #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.spoolPath + "-wal")) == wal)
    }

    @Test("a configuration file that does not parse: a single ✗ naming the file, exit 2")
    func unparsableConfiguration() throws {
        let fixture = try ProvisioningFixture()
        try Data(#"{"destination": {"project": 7}}"#.utf8).write(to: URL(fileURLWithPath: fixture.configPath))
        let result = try fixture.spoolctl(["doctor"])
        #expect(result.code == 2)
        #expect(result.stdout.lines(startingWith: "✗") == [#"✗ configuration: in the configuration file \#(fixture.configPath), "destination.project" must be a string"#])
    }
}
