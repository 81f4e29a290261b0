import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The uploader against a stub that answers as Google documents (the emulator does not).
@Suite("Uploader against the BigQuery stub")
struct UploaderStubTests {
    let directory: TemporaryDirectory
    let stub: BigQueryStub
    let destination: Destination

    init() throws {
        directory = try TemporaryDirectory()
        stub = try BigQueryStub()
        destination = Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint)
    }

    private func openSpool(_ configure: (inout Spool.Configuration) -> Void = { _ in }) throws -> Spool {
        var configuration = Spool.Configuration()
        configure(&configuration)
        return try Spool(path: directory.file("spool.db").path, configuration: configuration)
    }

    @Test("a batch with invalid rows: exactly those are dead-lettered with BigQuery's words, the stopped rest delivered")
    func invalidRowsAreDeadLetteredAndStoppedRowsResent() throws {
        defer { stub.stop() }
        let schema = SeedSchemas.searchWithRecords
        stub.judgeLikeBigQuery(dataset: "analytics", table: "user_search_events", schema: schema)
        let spool = try openSpool()
        defer { spool.close() }
        for index in 0..<10 {
            try spool.append(json: searchEvent("e\(index)", responseTime: index == 3 ? "12.7" : index == 7 ? #""abc""# : "\(index)"), to: "user_search_events")
        }
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration())
        let outcome = try uploader.drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 8)
        #expect(outcome.report.deadLettered == 2)
        #expect(Set(stub.storedEventIds(dataset: "analytics", table: "user_search_events")) == Set((0..<10).filter { $0 != 3 && $0 != 7 }.map { "e\($0)" }))
        let letters = try spool.deadLetters().sorted { $0.payload < $1.payload }
        #expect(letters.map(\.location) == ["response_time_ms", "response_time_ms"])
        #expect(letters.map(\.reason) == ["invalid", "invalid"])
        #expect(letters.map(\.message).contains("Cannot convert value to integer (bad value): 12.7"))
        #expect(stub.insertAllRequests.count == 2, "one batch answered invalid+stopped, then the stopped rows again")
    }

    @Test("with the schema configured locally, invalid rows never reach BigQuery, and the verdicts agree")
    func localVerdictsAgreeWithTheStub() throws {
        defer { stub.stop() }
        let schema = SeedSchemas.searchWithRecords
        let schemas = ["user_search_events": schema]
        stub.judgeLikeBigQuery(dataset: "analytics", table: "user_search_events", schema: schema)
        stub.createTable(dataset: "analytics", table: "user_search_events", schemaFields: String(decoding: schema.jsonData(pretty: false), as: UTF8.self))
        let spool = try openSpool { $0.schemas = schemas }
        defer { spool.close() }
        let rows = [
            searchEvent("ok1"), searchEvent("float", responseTime: "12.7"),
            #"{"event_id":"rec","timestamp":"2026-11-26T10:00:00Z","event_properties":"{\"source\":\"web\"}"}"#,
            searchEvent("ok2"), #"{"user_id":"no-event-id","timestamp":"2026-11-26T10:00:00Z"}"#,
        ]
        for row in rows { try spool.append(json: row, to: "user_search_events") }
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(stub.storedEventIds(dataset: "analytics", table: "user_search_events").sorted() == ["ok1", "ok2"])
        let sentBodies = stub.insertAllRequests.map(\.bodyText).joined()
        #expect(!sentBodies.contains("12.7"), "the invalid row was never sent")
        #expect(!sentBodies.contains("stopped"))
        let letters = try spool.deadLetters()
        #expect(letters.count == 3)
        for letter in letters {
            let remote = stubVerdict(schema: schema, json: letter.payload)
            #expect(remote?.location == letter.location)
            #expect(remote?.message == letter.message)
        }
        #expect(Set(letters.map(\.location)) == ["response_time_ms", "event_properties", ""])
    }

    private func stubVerdict(schema: TableSchema, json: String) -> SpoolSchema.RowError? {
        RowValidator(schema: schema).validate(json: json)
    }

    @Test("transient failures — 429 with Retry-After, 500, 503, a reset, a timeout, garbage — are retried until delivered")
    func transientFailuresAreRetried() throws {
        defer { stub.stop() }
        stub.enqueue(
            GoogleErrorReply.tooManyRequests(retryAfter: "1"),
            GoogleErrorReply.backendError(status: 503),
            .resetConnection,
            .delay(.seconds(3), then: .json(200, "{}")),
            .json(200, "<html>proxy error</html>"),
            .truncated(.json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#), bytes: 5),
            GoogleErrorReply.rateLimitExceeded()
        )
        let spool = try openSpool()
        defer { spool.close() }
        for index in 0..<20 { try spool.append(json: searchEvent("e\(index)"), to: "user_search_events") }
        let started = ContinuousClock.now
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(60))
        #expect(outcome.remainingRows == 0)
        #expect(stub.pendingScriptedReplies == 0)
        #expect(ContinuousClock.now - started >= .seconds(1), "Retry-After: 1 was honoured")
        #expect(Set(stub.storedEventIds(dataset: "analytics", table: "user_search_events")) == Set((0..<20).map { "e\($0)" }))
        #expect(try spool.deadLetters().isEmpty, "no row is dead-lettered for a transient error")
        #expect(try spool.status().tables.first?.consecutiveFailures == 0, "the success cleared the failure count")
    }

    @Test("a failure's backoff and each row's attempts are persisted, so a restart does not retry early")
    func backoffIsPersisted() throws {
        defer { stub.stop() }
        stub.enqueue(GoogleErrorReply.backendError(status: 503))
        var configuration = fastUploaderConfiguration()
        configuration.initialBackoff = .seconds(30)
        configuration.maxBackoff = .seconds(30)
        let spool = try openSpool()
        defer { spool.close() }
        try spool.append(json: searchEvent("e1"), to: "user_search_events")
        let first = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .milliseconds(500))
        #expect(first.remainingRows == 1)
        let table = try #require(try spool.status().tables.first)
        #expect(table.consecutiveFailures == 1)
        #expect(table.maxAttempts == 1)
        #expect((table.backoffUntil ?? 0) > Int64(Date().timeIntervalSince1970 * 1000) + 20_000)
        #expect(table.lastError?.contains("503") == true)
        // A new uploader (a restarted process) waits too.
        let second = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .milliseconds(500))
        #expect(second.report.requests == 0)
        #expect(stub.insertAllRequests.count == 1)
    }

    @Test("401 refreshes the token once and succeeds")
    func unauthorizedRefreshesTheTokenOnce() throws {
        defer { stub.stop() }
        stub.enqueue(GoogleErrorReply.unauthorized())
        let tokens = CountingTokenProvider()
        var configuration = fastUploaderConfiguration()
        configuration.credentials = .provider(tokens)
        let spool = try openSpool()
        defer { spool.close() }
        try spool.append(json: searchEvent("e1"), to: "user_search_events")
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .seconds(10))
        #expect(outcome.remainingRows == 0)
        #expect(tokens.invalidationCount == 1)
        #expect(stub.insertAllRequests.count == 2)
        #expect(stub.insertAllRequests.allSatisfy { $0.header("Authorization")?.hasPrefix("Bearer token-") == true })
    }

    @Test("403 accessDenied and 404 notFound pause that table and keep its rows; other tables flow", arguments: ["accessDenied", "notFound"])
    func misconfigurationPausesOnlyThatTable(reason: String) throws {
        defer { stub.stop() }
        if reason == "notFound" {
            stub.setTableMissing(dataset: "analytics", table: "cart_modification_events")
        } else {
            stub.enqueue(GoogleErrorReply.accessDenied(project: "test-project", dataset: "analytics", table: "cart_modification_events"))
        }
        let spool = try openSpool()
        defer { spool.close() }
        for index in 0..<5 {
            try spool.append(json: searchEvent("cart\(index)"), to: "cart_modification_events")
            try spool.append(json: searchEvent("search\(index)"), to: "user_search_events")
        }
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(10))
        #expect(outcome.remainingRows == 5)
        #expect(stub.storedEventIds(dataset: "analytics", table: "user_search_events").count == 5)
        let status = try spool.status()
        let cart = try #require(status.tables.first { $0.table == "cart_modification_events" })
        #expect(cart.isPaused)
        #expect(cart.pauseReason == reason)
        #expect(cart.pendingRows == 5)
        #expect(cart.lastError?.contains(reason) == true)
        #expect(try spool.deadLetters().isEmpty, "a misconfigured table never dead-letters")
    }

    @Test("403 rateLimitExceeded backs off instead of pausing; quotaExceeded backs off for long")
    func rateLimitAndQuotaBackOff() throws {
        defer { stub.stop() }
        stub.enqueue(GoogleErrorReply.rateLimitExceeded())
        let spool = try openSpool()
        defer { spool.close() }
        try spool.append(json: searchEvent("e1"), to: "user_search_events")
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(10))
        #expect(outcome.remainingRows == 0)
        #expect(try spool.status().tables.first?.isPaused == false)

        stub.enqueue(GoogleErrorReply.quotaExceeded())
        try spool.append(json: searchEvent("e2"), to: "user_search_events")
        let quota = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(1))
        #expect(quota.remainingRows == 1)
        let table = try #require(try spool.status().tables.first)
        #expect(table.isPaused == false)
        #expect((table.backoffUntil ?? 0) >= Int64(Date().timeIntervalSince1970 * 1000) + 590_000, "quota backoff is at least 10 minutes")
    }

    @Test("rows past the maximum age are dead-lettered as expired when that is configured")
    func expiredRowsAreDeadLettered() throws {
        defer { stub.stop() }
        let clock = ManualClock(start: 1_000_000)
        let spool = try openSpool { $0.now = clock.read }
        defer { spool.close() }
        try spool.append(json: searchEvent("old"), to: "user_search_events")
        clock.advance(by: 7_200_000)
        try spool.append(json: searchEvent("new"), to: "user_search_events")
        var configuration = fastUploaderConfiguration()
        configuration.maxRowAge = .seconds(3600)
        configuration.now = clock.read
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .seconds(10))
        #expect(outcome.remainingRows == 0)
        #expect(stub.storedEventIds(dataset: "analytics", table: "user_search_events") == ["new"])
        #expect(try spool.deadLetters().map(\.reason) == ["expired"])
    }

    @Test("only one uploader drains a file: a second one is refused while the lease is held")
    func leaseKeepsASecondUploaderOut() throws {
        defer { stub.stop() }
        let spool = try openSpool()
        defer { spool.close() }
        try spool.append(json: searchEvent("e1"), to: "user_search_events")
        guard case .acquired = try spool.outbox.acquireLease(holder: "other-process", now: Int64(Date().timeIntervalSince1970 * 1000), ttl: .seconds(60)) else {
            Issue.record("the free lease should be taken")
            return
        }
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(2))
        #expect(outcome.leaseHeldBy?.holder == "other-process")
        #expect(outcome.remainingRows == 1)
        #expect(stub.insertAllRequests.isEmpty)
    }

    @Test("run() delivers in the background and drains on graceful shutdown")
    func runDeliversAndDrainsOnShutdown() async throws {
        defer { stub.stop() }
        let spool = try openSpool()
        defer { spool.close() }
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration())
        let task = Task { try await uploader.run() }
        for index in 0..<50 { try spool.append(json: searchEvent("e\(index)"), to: "user_search_events") }
        let deadline = ContinuousClock.now + .seconds(20)
        while try spool.status().pendingRows > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        for index in 50..<60 { try spool.append(json: searchEvent("e\(index)"), to: "user_search_events") }
        uploader.triggerGracefulShutdown()
        try await task.value
        #expect(try spool.status().pendingRows == 0)
        #expect(stub.storedEventIds(dataset: "analytics", table: "user_search_events").count == 60)
        #expect(try spool.outbox.lease() == nil, "the lease is released on the way out")
        #expect(try spool.recordedDestination() == destination)
    }
}

/// A clock tests move by hand (Unix milliseconds).
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64

    init(start: Int64) { value = start }

    @Sendable func read() -> Int64 { lock.withLock { value } }
    func advance(by milliseconds: Int64) { lock.withLock { value += milliseconds } }
}
