import Foundation
import Hummingbird
import HummingbirdTesting
import LeafLoafServer
import Logging
import Metrics
import MetricsTestKit
import NIOCore
import Prometheus
import Spool
import SpoolTestSupport
import Testing

/// The example server through real HTTP on loopback, with the uploader in its ServiceGroup and the BigQuery
/// emulator behind it. Each server opens its spool under a task-local `TestMetrics` factory; the suite runs one test
/// at a time, as the emulator tests are heavy.
@Suite("LeafLoaf server over loopback HTTP", .serialized)
struct ServerTests {
    let directory: TemporaryDirectory
    let metrics = TestMetrics()
    let logs = LogCapture()
    let dataset = Emulator.uniqueDataset("leafloaf")
    /// A value that must never reach a log line.
    let secretQuery = "oat milk for pii-51c2"

    init() throws {
        directory = try TemporaryDirectory(prefix: "leafloaf-test")
    }

    /// A configuration file for `endpoint`, with timeouts and backoff short enough for tests.
    private func options(endpoint: String, events: Bool = true, spool: String = #"{"path": "spool.db"}"#) throws -> ServerOptions {
        let file = directory.file("spool.json")
        let json = """
            {"spool": \(spool),
             "destination": {"project": "\(Emulator.project)", "dataset": "\(dataset)", "endpoint": "\(endpoint)"},
             "uploader": {"connectTimeoutSeconds": 1, "requestTimeoutSeconds": 2, "initialBackoffSeconds": 1, "maxBackoffSeconds": 2,
                          "credentials": "none"},
             "schemas": {"directory": "\(SeedSchemas.directory.path)"}}
            """
        try Data(json.utf8).write(to: file)
        var options = ServerOptions()
        options.port = 0
        options.configurationPath = file.path
        options.environment = [:]
        options.eventsEnabled = events
        return options
    }

    private func makeServer(_ options: ServerOptions) throws -> LeafLoafServer {
        // The spool's metrics use the factory in effect when it is opened.
        try withMetricsFactory(metrics) { () throws -> LeafLoafServer in
            try LeafLoafServer(options: options, logger: logs.logger(level: .trace))
        }
    }

    private func post<Body: Encodable>(_ client: some TestClientProtocol, _ uri: String, _ body: Body) async throws -> (HTTPResponse.Status, String) {
        let data = try JSONEncoder().encode(body)
        return try await client.execute(
            uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: data)
        ) { response in (response.status, String(buffer: response.body)) }
    }

    private func rowCount(_ endpoint: String, _ table: String) -> Int {
        (try? Emulator.values(endpoint: endpoint, dataset: dataset, table: table).count) ?? -1
    }

    @Test("search, interaction, cart and order each answer 200, append one event, and the event reaches BigQuery")
    func everyEndpointDeliversItsEvent() async throws {
        let endpoint = try Emulator.url()
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset)
        let server = try makeServer(try options(endpoint: endpoint))
        defer { server.spool?.close() }
        let tables = ["user_search_events", "product_interaction_events", "cart_modification_events", "order_transaction_events"]

        try await server.application.test(.live) { client in
            let search = try await post(client, "/search", SearchRequest(userId: "u1", sessionId: "s1", query: secretQuery))
            #expect(search.0 == .ok)
            #expect(search.1.contains("OAT-001"))
            let click = try await post(client, "/interactions", InteractionRequest(userId: "u1", sessionId: "s1", signalType: "click", sku: "OAT-001"))
            #expect(click.0 == .ok)
            #expect(click.1.contains("dairy_alternatives"), "personalization learned from the click, in memory")
            let cart = try await post(client, "/cart", CartRequest(userId: "u1", sessionId: "s1", action: "add", sku: "OAT-001", quantity: 2))
            #expect(cart.0 == .ok)
            let order = try await post(client, "/orders", OrderRequest(userId: "u1", sessionId: "s1", discountCode: "WELCOME10", deliveryMethod: "delivery"))
            #expect(order.0 == .ok)
            #expect(order.1.contains("6.28"), "two oat milks at 3.49 less 10%")

            for table in tables {
                #expect(try metrics.expectCounter("spool_appended_total", [("table", table)]).totalValue == 1)
            }
            let delivered = try await eventually { tables.allSatisfy { rowCount(endpoint, $0) == 1 } }
            #expect(delivered, "one row in each of the four tables")
            #expect(try server.spool?.status().pendingRows == 0)
            for table in tables {
                #expect(try metrics.expectCounter("spool_delivered_total", [("table", table)]).totalValue == 1)
            }
        }
        let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events", column: "query")
        #expect(stored == [secretQuery])
        let text = logs.text
        #expect(text.contains("spool uploader started"))
        #expect(text.contains("spool uploader stopped"), "the ServiceGroup shut the uploader down with the server")
        #expect(!text.contains("pii-51c2"), "no payload value in any log line")
    }

    @Test("GET /metrics exports every spool metric in Prometheus' text format, with its labels, units and types")
    func metricsEndpointExportsEverySpoolMetric() async throws {
        let endpoint = try Emulator.url()
        try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
        var options = try options(endpoint: endpoint, spool: #"{"path": "spool.db", "maxPendingRows": 1000, "maxPendingBytes": 5000000}"#)
        let registry = PrometheusCollectorRegistry()
        options.metricsRegistry = registry
        // As the application does with MetricsSystem.bootstrap, but for this server only.
        let server = try withMetricsFactory(PrometheusMetricsFactory(registry: registry)) { () throws -> LeafLoafServer in
            try LeafLoafServer(options: options, logger: logs.logger(level: .trace))
        }
        defer { server.spool?.close() }
        let spool = try #require(server.spool)
        let table = #"table="user_search_events""#

        try await server.application.test(.live) { client in
            #expect(try await post(client, "/search", SearchRequest(userId: "u1", sessionId: "s1", query: "bananas")).0 == .ok)
            // 12.7 into INTEGER: the local validator dead-letters it as invalid.
            try spool.append(json: #"{"event_id":"bad-1","response_time_ms":12.7,"timestamp":"2026-11-26T10:00:00Z"}"#, to: "user_search_events")
            let scrape = { try await client.execute(uri: "/metrics", method: .get) { ($0.status, $0.headers[.contentType], String(buffer: $0.body)) } }
            let settled = try await eventually(timeout: .seconds(60)) {
                try rowCount(endpoint, "user_search_events") == 1 && spool.status().pendingRows == 0
            }
            #expect(settled, "the good row was delivered, the bad one dead-lettered")
            // The gauges follow every gaugeInterval (5 s): wait for a refresh that saw the delivery.
            var page = try await scrape().2
            let deadline = ContinuousClock.now + .seconds(20)
            while !page.contains("spool_pending_rows{\(table)} 0.0") || page.contains("spool_last_success_timestamp_seconds 0.0"),
                  ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                page = try await scrape().2
            }
            let (status, contentType, _) = try await scrape()
            #expect(status == .ok)
            #expect(contentType?.hasPrefix("text/plain; version=0.0.4") == true)
            let expected = [
                "# TYPE spool_appended_total counter", "spool_appended_total{\(table)} 2",
                "# TYPE spool_delivered_total counter", "spool_delivered_total{\(table)} 1",
                "# TYPE spool_dropped_total counter", "spool_dropped_total{\(table)} 0",
                "# TYPE spool_retried_total counter",
                "# TYPE spool_dead_lettered_total counter",
                "# TYPE spool_append_duration_seconds histogram", "spool_append_duration_seconds_count 2",
                "# TYPE spool_upload_duration_seconds histogram",
                "# TYPE spool_batch_rows histogram",
                "# TYPE spool_pending_rows gauge", "spool_pending_rows{\(table)} 0.0",
                "# TYPE spool_pending_bytes gauge", "spool_pending_bytes{\(table)} 0.0",
                "# TYPE spool_oldest_pending_age_seconds gauge", "spool_oldest_pending_age_seconds{\(table)} 0.0",
                "spool_max_pending_rows 1000.0", "spool_max_pending_bytes 5000000.0",
                "# TYPE spool_last_success_timestamp_seconds gauge",
                "# TYPE spool_uploader_lease_renewed_timestamp_seconds gauge",
            ]
            for line in expected {
                #expect(page.split(separator: "\n").contains { $0 == line }, "missing line: \(line)")
            }
            // Counts that depend on how fast the emulator answered (a slow answer is retried): present, whatever the value.
            for prefix in ["spool_retried_total{\(table)} ", "spool_upload_duration_seconds_count ", #"spool_upload_duration_seconds_bucket{le="0.005"} "#] {
                #expect(page.split(separator: "\n").contains { $0.hasPrefix(prefix) }, "missing: \(prefix)")
            }
            let deadLettered = page.split(separator: "\n").first { $0.hasPrefix("spool_dead_lettered_total{") }
            #expect(deadLettered.map { $0.contains(#"reason="invalid""#) && $0.contains(table) && $0.hasSuffix(" 1") } == true)
            let now = Date().timeIntervalSince1970
            for name in ["spool_last_success_timestamp_seconds", "spool_uploader_lease_renewed_timestamp_seconds"] {
                let value = page.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) }
                #expect(value.map { abs(now - $0) < 120 } == true, "\(name) is a recent Unix time in seconds: \(String(describing: value))")
            }
        }
    }

    @Test("with the emulator stopped, requests still answer 200 and events wait in the spool, then drain when it returns")
    func eventsWaitWhileBigQueryIsDown() async throws {
        let emulator = try Emulator.Instance(directory: directory)
        defer { emulator.stop() }
        try Emulator.createSeedTables(endpoint: emulator.endpoint, dataset: dataset, tables: ["user_search_events"])
        let server = try makeServer(try options(endpoint: emulator.endpoint))
        defer { server.spool?.close() }
        let spool = try #require(server.spool)

        try await server.application.test(.live) { client in
            #expect(try await post(client, "/search", SearchRequest(userId: "u1", sessionId: "s1", query: "bananas")).0 == .ok)
            #expect(try await eventually { rowCount(emulator.endpoint, "user_search_events") == 1 })

            emulator.signal(SIGSTOP)
            var statuses: [HTTPResponse.Status] = []
            for index in 0..<20 {
                statuses.append(try await post(client, "/search", SearchRequest(userId: "u\(index)", sessionId: "s", query: "bread")).0)
            }
            #expect(statuses == Array(repeating: .ok, count: 20), "BigQuery being down is invisible to the API")
            #expect(try spool.status().pendingRows == 20, "every event waits on disk")

            emulator.signal(SIGCONT)
            let drained = try await eventually(timeout: .seconds(60)) { try spool.status().pendingRows == 0 }
            #expect(drained)
            #expect(rowCount(emulator.endpoint, "user_search_events") == 21)
            #expect(try metrics.expectCounter("spool_delivered_total", [("table", "user_search_events")]).totalValue == 21)
        }
        #expect(try spool.deadLetters().isEmpty, "an outage never dead-letters a row")
    }

    @Test("with events off, every endpoint answers and nothing is spooled")
    func eventsOffIsTheBaseline() async throws {
        let server = try makeServer(try options(endpoint: "http://127.0.0.1:9", events: false))
        #expect(server.spool == nil)
        #expect(server.uploader == nil)
        try await server.application.test(.live) { client in
            #expect(try await post(client, "/search", SearchRequest(userId: "u1", sessionId: "s1", query: "bread")).0 == .ok)
            #expect(try await post(client, "/cart", CartRequest(userId: "u1", sessionId: "s1", action: "add", sku: "BRD-008", quantity: 1)).0 == .ok)
            let preferences = try await client.execute(uri: "/users/u1/preferences", method: .get) { String(buffer: $0.body) }
            #expect(preferences.contains("bakery"), "personalization works without the spool")
        }
        #expect(!FileManager.default.fileExists(atPath: directory.file("spool.db").path))
        #expect(throws: (any Error).self) { try metrics.expectCounter("spool_appended_total", [("table", "user_search_events")]) }
    }
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(timeout: Duration = .seconds(30), _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try condition()
}
