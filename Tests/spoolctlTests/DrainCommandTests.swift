import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("spoolctl drain")
struct DrainCommandTests {
    /// A configuration that sends to `endpoint` without credentials, in small batches, with short backoff.
    private func configuration(_ fixture: SpoolFixture, endpoint: String, dataset: String = "analytics", batchRows: Int = 50) throws -> String {
        try fixture.writeConfiguration([
            "spool": ["path": "spool.db"],
            "destination": ["project": "test-project", "dataset": dataset, "endpoint": endpoint],
            "uploader": [
                "credentials": "none", "batchRows": batchRows, "initialBackoffSeconds": 1, "maxBackoffSeconds": 2,
                "requestTimeoutSeconds": 10, "connectTimeoutSeconds": 2,
            ],
        ])
    }

    @Test("--credentials is read by the configuration file's rules: a typo of a keyword is refused by name, nothing sent")
    func aCredentialsTypoIsRefused() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3, to: "user_search_events", prefix: "s")
        let result = try Spoolctl.run(["drain", "--db", fixture.path, "--credentials", "automatc"])
        #expect(result.code == 1, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains(#"--credentials must be "automatic", "none", or the path of a key file (got "automatc"): did you mean "automatic"?"#), "\(result.stderr)")
        #expect(try fixture.pendingInsertIds().count == 3)
    }

    @Test("every spoolctl option of the configuration schema is an option of the commands that upload")
    func schemaOptionsAreSpoolctlOptions() throws {
        let options = ConfigurationSchema.settings.compactMap(\.option)
        #expect(options.sorted() == ["--credentials", "--db"])
        for command in ["drain", "run"] {
            let help = try Spoolctl.run([command, "--help"])
            for option in options {
                #expect(help.stdout.contains(option), "spoolctl \(command) --help lacks \(option)")
            }
        }
    }

    @Test("drain delivers everything to the emulator and exits 0 with an empty outbox")
    func drainsToTheEmulator() throws {
        let endpoint = try Emulator.url()
        let dataset = Emulator.uniqueDataset("drain")
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events", "cart_modification_events"])
        let fixture = try SpoolFixture()
        try fixture.append(120, to: "user_search_events", prefix: "s")
        try fixture.append(30, to: "cart_modification_events", prefix: "c")
        let configuration = try configuration(fixture, endpoint: endpoint, dataset: dataset)

        let result = try Spoolctl.run(["drain", "--config", configuration])
        #expect(result.code == 0, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stdout.contains("draining 150 pending rows to test-project:\(dataset)"))
        #expect(result.stdout.contains("delivered 150 rows"))
        #expect(result.stdout.contains("0 rows remain"))
        #expect(try fixture.pendingInsertIds().isEmpty)
        #expect(Set(try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")) == Set((0..<120).map { "s-\($0)" }))
        #expect(try Emulator.values(endpoint: endpoint, dataset: dataset, table: "cart_modification_events").count == 30)
    }

    @Test("drain finds the destination the spool file recorded, so credentials alone suffice; --table limits it")
    func drainsWithTheRecordedDestination() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let fixture = try SpoolFixture()
        do {
            // An uploader records its destination in the file when it starts.
            let spool = try fixture.open()
            defer { spool.close() }
            let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "recorded", endpoint: stub.endpoint), configuration: SpoolFixture.fastUploader())
            _ = try uploader.drain()
        }
        try fixture.append(20, to: "user_search_events", prefix: "s")
        try fixture.append(5, to: "cart_modification_events", prefix: "c")

        let onlySearch = try Spoolctl.run(["drain", "--db", fixture.path, "--credentials", "none", "--table", "user_search_events"])
        #expect(onlySearch.code == 0, "\(onlySearch.stdout)\n\(onlySearch.stderr)")
        #expect(stub.storedRows(dataset: "recorded", table: "user_search_events").count == 20)
        #expect(stub.storedRows(dataset: "recorded", table: "cart_modification_events").isEmpty)
        #expect(try fixture.pendingInsertIds() == (0..<5).map { "c-\($0)" })

        let rest = try Spoolctl.run(["drain", "--db", fixture.path], environment: ["SPOOL_CREDENTIALS": "none"])
        #expect(rest.code == 0, "\(rest.stdout)\n\(rest.stderr)")
        #expect(stub.storedRows(dataset: "recorded", table: "cart_modification_events").count == 5)
    }

    @Test("without any destination, drain is an error (exit 1) that says where it looked")
    func noDestinationIsAnError() throws {
        let fixture = try SpoolFixture()
        try fixture.append(1, to: "user_search_events")
        let result = try Spoolctl.run(["drain", "--db", fixture.path])
        #expect(result.code == 1)
        #expect(result.stderr.contains("no destination"))
        #expect(try fixture.pendingInsertIds().count == 1)
    }

    @Test("a paused table keeps its rows and drain exits 2 naming it; the other table is delivered")
    func pausedTableExitsTwo() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        stub.setTableMissing(dataset: "analytics", table: "cart_modification_events")
        let fixture = try SpoolFixture()
        try fixture.append(40, to: "user_search_events", prefix: "s")
        try fixture.append(6, to: "cart_modification_events", prefix: "c")
        let configuration = try configuration(fixture, endpoint: stub.endpoint)

        let result = try Spoolctl.run(["drain", "--config", configuration])
        #expect(result.code == 2, "\(result.stdout)\n\(result.stderr)")
        #expect(result.stderr.contains("rows remain: cart_modification_events (6 rows) is paused: notFound"))
        #expect(stub.storedRows(dataset: "analytics", table: "user_search_events").count == 40)
        #expect(try fixture.pendingInsertIds() == (0..<6).map { "c-\($0)" })

        let status = try Spoolctl.run(["status", "--config", configuration])
        #expect(status.code == 2)
        #expect(status.stdout.contains("paused  cart_modification_events since"))
        #expect(status.stdout.contains("cart_modification_events is paused (notFound)"))
    }

    @Test("drain refuses to run beside a live uploader and names it; with --wait-for-lease it waits until its timeout")
    func refusesBesideAHeldLease() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let fixture = try SpoolFixture()
        try fixture.append(8, to: "user_search_events")
        let configuration = try configuration(fixture, endpoint: stub.endpoint)
        let spool = try fixture.open()
        defer { spool.close() }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        guard case .acquired = try spool.outbox.acquireLease(holder: "api-host:4242:abcd", now: now, ttl: .seconds(120)) else {
            Issue.record("the test could not take the lease")
            return
        }

        let refused = try Spoolctl.run(["drain", "--config", configuration])
        #expect(refused.code == 2, "\(refused.stdout)\n\(refused.stderr)")
        #expect(refused.stderr.contains("another uploader holds the lease: api-host:4242:abcd"))
        #expect(refused.stderr.contains("--wait-for-lease"))
        #expect(stub.insertAllRequests.isEmpty)
        #expect(try fixture.pendingInsertIds().count == 8)

        let waited = try Spoolctl.run(["drain", "--config", configuration, "--wait-for-lease", "--timeout", "1s"])
        #expect(waited.code == 2)
        #expect(waited.stderr.contains("waiting for the uploader lease held by api-host:4242:abcd"))
        #expect(stub.insertAllRequests.isEmpty)
        #expect(try spool.outbox.lease()?.holder == "api-host:4242:abcd")
    }

    @Test("Ctrl-C mid-drain stops after the batch in flight: every row is either delivered or still pending")
    func interruptLosesNothing() throws {
        // A slow BigQuery: every insertAll answer takes 150 ms, and accepts the whole batch.
        let server = try LoopbackHTTPServer { _ in
            .delay(.milliseconds(150), then: .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#))
        }
        defer { server.stop() }
        let fixture = try SpoolFixture()
        let appended = try fixture.append(400, to: "user_search_events").ids
        let configuration = try configuration(fixture, endpoint: server.baseURL, batchRows: 20)

        let child = try Spoolctl.launch(["drain", "--config", configuration])
        let deadline = ContinuousClock.now + .seconds(30)
        while server.requests.count < 3 && ContinuousClock.now < deadline && child.isRunning {
            usleep(5_000)
        }
        child.kill(signal: SIGINT)
        child.waitForExit()
        #expect(child.exitCode == 2, "\(child.standardOutput)\n\(child.standardError)")
        #expect(child.standardError.contains("interrupted: stopping after the batch in flight"))
        #expect(child.standardError.contains("stopped by a signal"))

        let sent = server.requests.flatMap { request -> [String] in
            let rows = (request.jsonBody() as? [String: Any])?["rows"] as? [[String: Any]] ?? []
            return rows.compactMap { $0["insertId"] as? String }
        }
        let pending = try fixture.pendingInsertIds()
        #expect(!sent.isEmpty)
        #expect(!pending.isEmpty)
        #expect(Set(sent).isDisjoint(with: pending), "a delivered row is still pending")
        #expect(Set(sent).union(pending) == Set(appended), "rows were lost")
        #expect(sent.count + pending.count == appended.count)
    }
}
