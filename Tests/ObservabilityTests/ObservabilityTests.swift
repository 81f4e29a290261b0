import Foundation
import Logging
import Metrics
import MetricsTestKit
import ServiceLifecycle
import Spool
import SpoolTestSupport
import Testing

/// Metrics, logging and lifecycle of Spool inside a host process. Each test opens its spool under a task-local
/// `TestMetrics` factory (`withMetricsFactory`), never the global one; they also run one at a time, with a metric
/// label prefix of their own, so nothing else in the process can add to what they count.
@Suite("Observability and lifecycle", .serialized)
struct ObservabilityTests {
    let directory: TemporaryDirectory
    let stub: BigQueryStub
    let destination: Destination
    let metrics = TestMetrics()
    let prefix = "spool_t\(UInt32.random(in: 0...UInt32.max))"
    let table = "user_search_events"

    init() throws {
        directory = try TemporaryDirectory()
        stub = try BigQueryStub()
        destination = Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint)
    }

    private func openSpool(logger: Logger? = nil, schemas: Bool = false) throws -> Spool {
        var configuration = Spool.Configuration()
        configuration.metricsLabelPrefix = prefix
        configuration.logger = logger
        if schemas { configuration.schemas = try SeedSchemas.load() }
        let path = directory.file("spool.db").path
        // The spool's metrics use the factory in effect when it is opened.
        return try withMetricsFactory(metrics) { () throws(SpoolError) -> Spool in
            try Spool(path: path, configuration: configuration)
        }
    }

    private func uploaderConfiguration() -> UploaderConfiguration {
        var configuration = UploaderConfiguration()
        configuration.initialBackoff = .milliseconds(20)
        configuration.maxBackoff = .milliseconds(100)
        configuration.requestTimeout = .seconds(2)
        configuration.connectTimeout = .seconds(1)
        configuration.pollInterval = .milliseconds(20)
        configuration.pauseRecheckInterval = .milliseconds(200)
        configuration.gaugeInterval = .milliseconds(50)
        configuration.credentials = .none
        return configuration
    }

    private func event(_ id: String, query: String = "bananas", responseTime: String = "12") -> String {
        #"{"event_id":"\#(id)","user_id":"u1","query":"\#(query)","response_time_ms":\#(responseTime),"timestamp":"2026-11-26T10:00:00Z"}"#
    }

    private var dimensions: [(String, String)] { [("table", table)] }

    @Test("rows the dropOldest cap evicts count as dropped for the table that lost them, as status counts them")
    func evictionsCountAgainstTheTableThatLostTheRows() throws {
        defer { stub.stop() }
        var configuration = Spool.Configuration()
        configuration.metricsLabelPrefix = prefix
        configuration.maxPendingRows = 3
        configuration.capPolicy = .dropOldest
        let path = directory.file("capped.db").path
        let spool = try withMetricsFactory(metrics) { () throws(SpoolError) -> Spool in
            try Spool(path: path, configuration: configuration)
        }
        defer { spool.close() }
        for index in 0..<2 { try spool.append(json: event("old\(index)"), to: "cart_modification_events") }
        for index in 0..<3 { try spool.append(json: event("new\(index)"), to: table) }

        #expect(try metrics.expectCounter("\(prefix)_dropped_total", [("table", "cart_modification_events")]).totalValue == 2)
        #expect(try metrics.expectCounter("\(prefix)_dropped_total", dimensions).totalValue == 0, "the appending table lost nothing")
        let lost = try spool.status().tables.first { $0.table == "cart_modification_events" }
        #expect(lost?.droppedRows == 2, "status counts the same table")
    }

    @Test("appends, deliveries, retries and dead letters are counted per table, with latencies and batch sizes")
    func countersAndTimersAreRecorded() throws {
        defer { stub.stop() }
        stub.enqueue(GoogleErrorReply.backendError(status: 503))
        let spool = try openSpool(schemas: true)
        defer { spool.close() }
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: uploaderConfiguration())
        for index in 0..<5 { try spool.append(json: event("e\(index)"), to: table) }
        #expect(try uploader.drain(timeout: .seconds(20)).remainingRows == 0)
        // Judged invalid locally: dead-lettered without a request.
        try spool.append(json: event("bad", responseTime: "12.7"), to: table)
        #expect(try uploader.drain(timeout: .seconds(20)).remainingRows == 0)

        #expect(try metrics.expectCounter("\(prefix)_appended_total", dimensions).totalValue == 6)
        #expect(try metrics.expectCounter("\(prefix)_delivered_total", dimensions).totalValue == 5)
        #expect(try metrics.expectCounter("\(prefix)_retried_total", dimensions).totalValue == 5, "the 503 put the five valid rows back")
        #expect(try metrics.expectCounter("\(prefix)_dead_lettered_total", [("table", table), ("reason", "invalid")]).totalValue == 1)
        #expect(try metrics.expectTimer("\(prefix)_append_duration_seconds").values.count == 6)
        #expect(try metrics.expectTimer("\(prefix)_upload_duration_seconds").values.count == 2, "one failed and one accepted request")
        #expect(try metrics.expectRecorder("\(prefix)_batch_rows").values == [5, 5])
    }

    @Test("the running uploader records each table's pending rows and oldest age, and zero once drained")
    func pendingGaugesFollowTheBacklog() async throws {
        defer { stub.stop() }
        stub.setTableMissing(dataset: "analytics", table: table)
        let spool = try openSpool()
        defer { spool.close() }
        for index in 0..<3 { try spool.append(json: event("e\(index)"), to: table) }
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: uploaderConfiguration())
        let group = ServiceGroup(configuration: .init(services: [uploader], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let waiting = try await eventually {
                (try? metrics.expectGauge("\(prefix)_pending_rows", dimensions).lastValue) == 3
            }
            #expect(waiting, "the paused table's three rows show as pending")
            #expect(try metrics.expectGauge("\(prefix)_oldest_pending_age_seconds", dimensions).lastValue ?? -1 >= 0)
            #expect(throws: (any Error).self, "without a cap there is no cap gauge (a zero would read as a full spool)") {
                try metrics.expectGauge("\(prefix)_max_pending_rows")
            }

            stub.setTableMissing(dataset: "analytics", table: table, false)
            let drained = try await eventually {
                (try? metrics.expectGauge("\(prefix)_pending_rows", dimensions).lastValue) == 0
            }
            #expect(drained, "the gauge falls to zero once the table is back and drained")
            #expect(try metrics.expectGauge("\(prefix)_oldest_pending_age_seconds", dimensions).lastValue == 0)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(stub.storedEventIds(dataset: "analytics", table: table).sorted() == ["e0", "e1", "e2"])
    }

    @Test("the running uploader exports a paused table with its reason, the cap, the last success and the lease's renewal")
    func healthGaugesFollowTheFile() async throws {
        defer { stub.stop() }
        stub.setTableMissing(dataset: "analytics", table: table)
        var spoolConfiguration = Spool.Configuration()
        spoolConfiguration.metricsLabelPrefix = prefix
        spoolConfiguration.maxPendingRows = 1_000
        spoolConfiguration.maxPendingBytes = 2_000_000
        let path = directory.file("spool.db").path
        let spool = try withMetricsFactory(metrics) { () throws(SpoolError) -> Spool in
            try Spool(path: path, configuration: spoolConfiguration)
        }
        defer { spool.close() }
        try spool.append(json: event("e0"), to: table)
        let startedAt = Double(Date().timeIntervalSince1970)
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: uploaderConfiguration())
        let group = ServiceGroup(configuration: .init(services: [uploader], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        let paused = [("table", table), ("reason", "notFound")]
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let pausedSeen = try await eventually {
                (try? metrics.expectGauge("\(prefix)_table_paused", paused).lastValue) == 1
            }
            #expect(pausedSeen, "the missing table shows as paused for notFound")
            #expect(try metrics.expectGauge("\(prefix)_last_success_timestamp_seconds").lastValue == 0, "nothing was delivered yet")
            #expect(try metrics.expectGauge("\(prefix)_max_pending_rows").lastValue == 1_000)
            #expect(try metrics.expectGauge("\(prefix)_max_pending_bytes").lastValue == 2_000_000)
            #expect(try metrics.expectGauge("\(prefix)_pending_bytes", dimensions).lastValue ?? 0 > 0)
            let renewed = try metrics.expectGauge("\(prefix)_uploader_lease_renewed_timestamp_seconds").lastValue ?? 0
            #expect(renewed >= startedAt - 1 && renewed <= Date().timeIntervalSince1970 + 1, "renewed \(renewed), started \(startedAt)")

            stub.setTableMissing(dataset: "analytics", table: table, false)
            let resumed = try await eventually {
                (try? metrics.expectGauge("\(prefix)_table_paused", paused).lastValue) == 0
                    && (try? metrics.expectGauge("\(prefix)_last_success_timestamp_seconds").lastValue) ?? 0 >= startedAt - 1
            }
            #expect(resumed, "the table is no longer paused and the delivery is recorded as the last success")
            #expect(try metrics.expectGauge("\(prefix)_pending_bytes", dimensions).lastValue == 0)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test("in a ServiceGroup, a graceful shutdown makes the uploader drain what was appended, then return")
    func gracefulShutdownDrains() async throws {
        defer { stub.stop() }
        let spool = try openSpool()
        defer { spool.close() }
        var configuration = uploaderConfiguration()
        // Idle for an hour: only the shutdown drain can deliver rows appended after the first pass.
        configuration.pollInterval = .seconds(3600)
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
        let group = ServiceGroup(configuration: .init(services: [uploader], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let leased = try await eventually { try spool.status().lease != nil }
            #expect(leased, "the uploader is running")
            for index in 0..<50 { try spool.append(json: event("s\(index)"), to: table) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(try spool.status().pendingRows == 0)
        #expect(try spool.status().lease == nil, "the lease was released on the way out")
        #expect(Set(stub.storedEventIds(dataset: "analytics", table: table)) == Set((0..<50).map { "s\($0)" }))
    }

    @Test("the library logs at info or lower, with dotted spool. keys, and never a payload value")
    func logsAreQuietDottedAndFreeOfPayloads() async throws {
        defer { stub.stop() }
        let capture = LogCapture()
        let secret = "pii-7f3a-oat-milk"
        let spool = try openSpool(logger: capture.logger(), schemas: true)
        defer { spool.close() }
        try spool.append(json: event("ok", query: secret), to: table)
        try spool.append(json: event("bad", query: secret, responseTime: "12.7"), to: table)
        try spool.append(json: #"{"event_id":"c1","action":"add","product_sku":"\#(secret)","timestamp":"2026-11-26T10:00:00Z"}"#, to: "cart_modification_events")
        stub.setTableMissing(dataset: "analytics", table: "cart_modification_events")
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: uploaderConfiguration())
        let group = ServiceGroup(configuration: .init(services: [uploader], logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let settled = try await eventually {
                capture.records.contains { $0.message.contains("table paused") } && stub.storedEventIds(dataset: "analytics", table: table) == ["ok"]
            }
            #expect(settled)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let entries = capture.records
        let messages = entries.map(\.message)
        #expect(messages.contains("spool uploader started"))
        #expect(messages.contains("spool uploader stopped"))
        #expect(messages.contains("rows moved to dead_letters"))
        let paused = try #require(entries.first { $0.message.contains("table paused") })
        #expect(paused.metadata["spool.table"] == "cart_modification_events")
        let deadLetters = try #require(entries.first { $0.message == "rows moved to dead_letters" })
        #expect(deadLetters.metadata["spool.table"] == table)
        #expect(deadLetters.metadata["spool.rows"] == "1")
        for entry in entries {
            #expect(entry.level <= .info, "\(entry.level) \(entry.message)")
            for key in entry.metadata.keys {
                #expect(key.contains("."), "metadata key \(key) is dotted")
            }
        }
        #expect(!capture.text.contains(secret), "no payload value is logged")
        #expect(!capture.text.contains("12.7"), "not even the invalid value")
    }
}
