import Foundation
import Hummingbird
import HummingbirdTesting
import LeafLoafServer
import Logging
import NIOCore
import Spool
import SpoolTestSupport
import Testing

/// The seed's views (examples/leafloaf/views/) over events sent through the server's endpoints: provisioned by the
/// main package's spoolctl, fed by the server's uploader, read with `jobs.query`, and compared with what the requests
/// imply, worked out here. (The A/B readout is covered in the main package's ViewsTests: the server has no endpoint
/// that records recommendation impressions.)
@Suite("The seed's views over events sent through the server", .serialized)
struct ServerViewsTests {
    let directory: TemporaryDirectory
    let dataset = Emulator.uniqueDataset("leafloaf_views")

    init() throws {
        directory = try TemporaryDirectory(prefix: "leafloaf-views-test")
    }

    struct Search { var user: String, session: String, query: String, intent: String }
    struct Signal { var user: String, session: String, signal: String, sku: String, searchQuery: String?, weight: Double }
    struct CartChange { var user: String, session: String, action: String, sku: String, quantity: Int }
    struct Checkout { var user: String, session: String, discountCode: String? }

    // The requests, with what the seed's rules say about them: a query naming a meal is meal planning, one asking for
    // a deal is price sensitive; a click weighs 1, a view 0.5, an add-to-cart 3; WELCOME10 takes 10% off.
    static let searches = [
        Search(user: "u1", session: "s1", query: "oat milk", intent: "product_search"),
        Search(user: "u2", session: "s2", query: "dinner recipe ideas", intent: "meal_planning"),
        Search(user: "u1", session: "s1", query: "cheap bread deal", intent: "price_sensitive"),
        Search(user: "u3", session: "s3", query: "bananas", intent: "product_search"),
        Search(user: "u2", session: "s2", query: "breakfast eggs", intent: "meal_planning"),
    ]
    static let signals = [
        Signal(user: "u1", session: "s1", signal: "click", sku: "OAT-001", searchQuery: "oat milk", weight: 1),
        Signal(user: "u1", session: "s1", signal: "view", sku: "ALM-002", searchQuery: nil, weight: 0.5),
        Signal(user: "u2", session: "s2", signal: "click", sku: "EGG-010", searchQuery: "breakfast eggs", weight: 1),
        Signal(user: "u3", session: "s3", signal: "add_to_cart", sku: "BAN-005", searchQuery: "bananas", weight: 3),
        Signal(user: "u3", session: "s3", signal: "click", sku: "BAN-005", searchQuery: nil, weight: 1),
    ]
    static let cartChanges = [
        CartChange(user: "u1", session: "s1", action: "add", sku: "OAT-001", quantity: 2),
        CartChange(user: "u2", session: "s2", action: "add", sku: "EGG-010", quantity: 1),
        CartChange(user: "u2", session: "s2", action: "add", sku: "BRD-008", quantity: 1),
        CartChange(user: "u3", session: "s3", action: "add", sku: "BAN-005", quantity: 3),
        CartChange(user: "u3", session: "s3", action: "remove", sku: "BAN-005", quantity: 1),
    ]
    static let checkouts = [
        Checkout(user: "u1", session: "s1", discountCode: "WELCOME10"),
        Checkout(user: "u2", session: "s2", discountCode: nil),
        Checkout(user: "u3", session: "s3", discountCode: "WELCOME10"),
    ]

    private func post<Body: Encodable>(_ client: some TestClientProtocol, _ uri: String, _ body: Body) async throws -> HTTPResponse.Status {
        try await client.execute(
            uri: uri, method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(bytes: try JSONEncoder().encode(body))
        ) { $0.status }
    }

    private func rows(_ endpoint: String, _ view: String, orderBy: String) throws -> [[String: String]] {
        let result = try Emulator.client(endpoint).query("SELECT * FROM `\(Emulator.project).\(dataset).\(view)` ORDER BY \(orderBy)")
        return result.rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(result.fieldNames, row).compactMap { name, value in value.map { (name, $0) } })
        }
    }

    @Test("events sent through the server's endpoints come out of the seed's views as the requests imply")
    func viewsAnswerWhatTheRequestsImply() async throws {
        let endpoint = try Emulator.url()
        let configuration = directory.file("spool.json")
        try Data("""
            {"spool": {"path": "spool.db"},
             "destination": {"project": "\(Emulator.project)", "dataset": "\(dataset)", "endpoint": "\(endpoint)"},
             "uploader": {"connectTimeoutSeconds": 1, "requestTimeoutSeconds": 5, "initialBackoffSeconds": 1, "maxBackoffSeconds": 2,
                          "credentials": "none"},
             "schemas": {"directory": "\(SeedSchemas.directory.path)",
                         "views": "\(BuiltProducts.repositoryRoot.appendingPathComponent("examples/leafloaf/views").path)"}}
            """.utf8).write(to: configuration)
        // scripts/test builds the main package, spoolctl included, before this package's tests.
        let spoolctl = BuiltProducts.repositoryRoot.appendingPathComponent(".build/debug/spoolctl").path
        try #require(FileManager.default.isExecutableFile(atPath: spoolctl), "build the main package first (scripts/test does)")
        let created = try ChildProcess.run(spoolctl, ["tables", "create", "--config", configuration.path], environment: ["SPOOL_CONFIG": ""])
        try #require(created.code == 0, "stdout: \(created.stdout) stderr: \(created.stderr)")

        var options = ServerOptions()
        options.port = 0
        options.configurationPath = configuration.path
        options.environment = [:]
        let server = try LeafLoafServer(options: options, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        defer { server.spool?.close() }
        try await server.application.test(.live) { client in
            for search in Self.searches {
                #expect(try await post(client, "/search", SearchRequest(userId: search.user, sessionId: search.session, query: search.query)) == .ok)
            }
            for signal in Self.signals {
                let request = InteractionRequest(userId: signal.user, sessionId: signal.session, signalType: signal.signal, sku: signal.sku, searchQuery: signal.searchQuery)
                #expect(try await post(client, "/interactions", request) == .ok)
            }
            for change in Self.cartChanges {
                let request = CartRequest(userId: change.user, sessionId: change.session, action: change.action, sku: change.sku, quantity: change.quantity)
                #expect(try await post(client, "/cart", request) == .ok)
            }
            for checkout in Self.checkouts {
                #expect(try await post(client, "/orders", OrderRequest(userId: checkout.user, sessionId: checkout.session, discountCode: checkout.discountCode)) == .ok)
            }
            let delivered = try await eventually(timeout: .seconds(60)) { try server.spool?.status().pendingRows == 0 }
            #expect(delivered, "the server's uploader delivered every event")
        }

        // daily_search_summary: one day, the intents as classified above, the median of the stored response times.
        let times = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events", column: "response_time_ms")
            .compactMap(Double.init).sorted()
        try #require(times.count == Self.searches.count)
        let summary = try rows(endpoint, "daily_search_summary", orderBy: "day")
        #expect(summary.count == 1)
        let day = try #require(summary.first)
        #expect(day["searches"] == "5" && day["users"] == "3")
        #expect(day["product_search"] == "2" && day["meal_planning"] == "2" && day["price_sensitive"] == "1" && day["other_intent"] == "0")
        #expect(day["zero_result_searches"].flatMap(Int.init) == Self.searches.filter { Catalog.search($0.query).isEmpty }.count)
        #expect(day["median_response_time_ms"].flatMap(Double.init) == times[times.count / 2])

        // The carts as the requests leave them, and the orders they become.
        var carts: [String: [(sku: String, quantity: Int)]] = [:]
        for change in Self.cartChanges {
            var lines = carts[change.user] ?? []
            let index = lines.firstIndex { $0.sku == change.sku }
            let current = index.map { lines[$0].quantity } ?? 0
            let updated = change.action == "add" ? current + change.quantity : max(current - change.quantity, 0)
            if let index { lines[index].quantity = updated } else { lines.append((change.sku, updated)) }
            carts[change.user] = lines.filter { $0.quantity > 0 }
        }
        var revenue = Decimal(0), discountAmount = Decimal(0), discounted = 0
        var orderedUnits: [String: (orders: Int, units: Int)] = [:]
        for checkout in Self.checkouts {
            let lines = carts[checkout.user] ?? []
            let subtotal = lines.reduce(Decimal(0)) { $0 + Catalog.product(sku: $1.sku)!.price * Decimal($1.quantity) }
            var discount = Decimal(0)
            if checkout.discountCode == "WELCOME10" {
                var tenth = subtotal / 10
                NSDecimalRound(&discount, &tenth, 2, .plain)
                discounted += 1
            }
            revenue += subtotal - discount
            discountAmount += discount
            for line in lines {
                orderedUnits[line.sku, default: (0, 0)].orders += 1
                orderedUnits[line.sku, default: (0, 0)].units += line.quantity
            }
        }
        let orders = try rows(endpoint, "daily_orders", orderBy: "day, currency")
        #expect(orders.count == 1)
        #expect(orders.first?["currency"] == "USD" && orders.first?["orders"] == "3")
        #expect(orders.first?["revenue"].flatMap { Decimal(string: $0) } == revenue)
        #expect(orders.first?["discounted_orders"].flatMap(Int.init) == discounted)
        #expect(orders.first?["discount_amount"].flatMap { Decimal(string: $0) } == discountAmount)

        // product_funnel: interactions from a search, clicks, cart adds, orders and units per SKU, with its category.
        let funnel = try rows(endpoint, "product_funnel", orderBy: "product_sku")
        let skus = Set(Self.signals.map(\.sku) + Self.cartChanges.map(\.sku) + orderedUnits.keys)
        #expect(funnel.map { $0["product_sku"] ?? "" } == skus.sorted())
        for row in funnel {
            let sku = row["product_sku"] ?? ""
            let signals = Self.signals.filter { $0.sku == sku }
            #expect(row["product_category"] == (signals.isEmpty ? nil : Catalog.product(sku: sku)?.category), "\(sku)")
            let expected = [
                signals.filter { $0.searchQuery != nil }.count, signals.filter { $0.signal == "click" }.count,
                Self.cartChanges.filter { $0.sku == sku && $0.action == "add" }.count, orderedUnits[sku]?.orders ?? 0, orderedUnits[sku]?.units ?? 0,
            ]
            #expect(["search_interactions", "clicks", "cart_adds", "orders", "units_ordered"].map { row[$0].flatMap(Int.init) } == expected, "\(sku): \(row)")
        }

        // user_category_affinity (materialized): signals and their weight per user and category.
        let affinity = try rows(endpoint, "user_category_affinity", orderBy: "user_id, category")
        var expected: [String: (count: Int, clicks: Int, weight: Double)] = [:]
        for signal in Self.signals {
            let key = "\(signal.user)/\(Catalog.product(sku: signal.sku)!.category)"
            expected[key, default: (0, 0, 0)].count += 1
            expected[key, default: (0, 0, 0)].clicks += signal.signal == "click" ? 1 : 0
            expected[key, default: (0, 0, 0)].weight += signal.weight
        }
        #expect(affinity.map { "\($0["user_id"] ?? "")/\($0["category"] ?? "")" } == expected.keys.sorted())
        for row in affinity {
            let want = try #require(expected["\(row["user_id"] ?? "")/\(row["category"] ?? "")"])
            #expect(row["interactions"].flatMap(Int.init) == want.count && row["clicks"].flatMap(Int.init) == want.clicks, "\(row)")
            #expect(row["affinity"].flatMap(Double.init) == want.weight, "\(row)")
        }
    }
}
