import Foundation
import LeafLoafEvents
import Spool
import SpoolTestSupport
import Testing

/// The typed events against the seed's schema files: same columns, and rows BigQuery would accept.
@Suite("LeafLoaf events match their tables")
struct EventSchemaTests {
    static let properties = EventProperties(source: "web", experiment: "B", page: 2)

    /// Every event with every field set, so every column shows in its JSON.
    static let events: [(table: String, event: any Encodable & Sendable)] = [
        (SearchEvent.table, SearchEvent(
            userId: "u1", sessionId: "s1", query: "oat milk", intent: "product_search", alphaValue: 0.3, resultsCount: 2,
            categories: ["dairy_alternatives"], responseTimeMs: 4
        )),
        (InteractionEvent.table, InteractionEvent(
            userId: "u1", sessionId: "s1", signalType: "click", productSku: "OAT-001", productName: "Organic oat milk",
            productCategory: "dairy_alternatives", position: 1, signalWeight: 1, searchQuery: "oat milk", eventProperties: properties
        )),
        (CartEvent.table, CartEvent(
            userId: "u1", sessionId: "s1", action: "add", productSku: "OAT-001", productName: "Organic oat milk", quantity: 2,
            price: Decimal(string: "3.49"), cartTotal: Decimal(string: "6.98"), eventProperties: properties
        )),
        (OrderEvent.table, OrderEvent(
            userId: "u1", sessionId: "s1", orderId: "o1", status: "completed", total: Decimal(string: "6.28"), currency: "USD",
            items: [.init(sku: "OAT-001", name: "Organic oat milk", quantity: 2, price: Decimal(string: "3.49"))],
            discounts: [.init(code: "WELCOME10", amount: Decimal(string: "0.70"))],
            delivery: .init(method: "delivery", windowStart: Date(), windowEnd: Date().addingTimeInterval(3600), instructions: "door"),
            eventProperties: properties
        )),
        (RecommendationImpressionEvent.table, RecommendationImpressionEvent(
            userId: "u1", sessionId: "s1", recommendationId: "r1", surface: "home", recommendedSkus: ["OAT-001", "BAN-005"],
            modelName: "affinity", modelVersion: "1", position: 0, scores: [0.9, 0.4], eventProperties: properties
        )),
    ]

    @Test("the five events cover the seed's five tables")
    func everyTableHasAnEvent() throws {
        #expect(Set(Self.events.map(\.table)) == Set(SeedSchemas.tableNames))
    }

    @Test("a fully populated event has exactly its table's columns, nested records included, and passes the validator")
    func eventsMatchTheSchemaFiles() throws {
        let schemas = try SeedSchemas.load()
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = Spool.Configuration()
        configuration.schemas = schemas
        configuration.strictSchemas = true
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        for (table, event) in Self.events {
            let schema = try #require(schemas[table])
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(AnyEncodable(event))) as? [String: Any]
            #expect(Set(json?.keys.map { $0 } ?? []) == Set(schema.fields.map(\.name)), "columns of \(table)")
            for field in schema.fields where !field.fields.isEmpty {
                let value = json?[field.name]
                let record = (value as? [String: Any]) ?? (value as? [[String: Any]])?.first
                #expect(Set(record?.keys.map { $0 } ?? []) == Set(field.fields.map(\.name)), "\(table).\(field.name)")
            }
            // Strict mode validates against the schema and throws on any mismatch.
            #expect(throws: Never.self) { try spool.append(AnyEncodable(event), to: table) }
        }
        #expect(try spool.status().pendingRows == Self.events.count)
    }

    /// The seed's own table, as `bq mk` created it (seed/bigquery-integration-status.md, step 1): every column NULLABLE.
    static let seedSearchTable = "event_id:STRING,user_id:STRING,session_id:STRING,query:STRING,intent:STRING,alpha_value:FLOAT,results_count:INTEGER,categories:STRING,response_time_ms:INTEGER,timestamp:TIMESTAMP"

    static func schema(bqMk definition: String) throws -> TableSchema {
        let fields = definition.split(separator: ",").map { column -> String in
            let parts = column.split(separator: ":")
            return #"{"name":"\#(parts[0])","type":"\#(parts[1])","mode":"NULLABLE"}"#
        }
        return try TableSchema(jsonData: Data("[\(fields.joined(separator: ","))]".utf8), file: "bq mk")
    }

    @Test("user_search_events.json is exactly the seed's bq mk table: same columns, order, types and modes")
    func searchSchemaIsTheSeedsTable() throws {
        let seed = try Self.schema(bqMk: Self.seedSearchTable)
        let file = try #require(try SeedSchemas.load()[SearchEvent.table])
        #expect(file.fields.map(\.name) == seed.fields.map(\.name))
        #expect(file.fields.map(\.type) == seed.fields.map(\.type))
        #expect(file.fields.map(\.mode) == seed.fields.map(\.mode))
        #expect(file.fields.allSatisfy { $0.fields.isEmpty })
    }

    @Test("a search event from the server is a row the seed's own table accepts, categories as JSON text")
    func searchEventsFitTheSeedsTable() throws {
        let validator = RowValidator(schema: try Self.schema(bqMk: Self.seedSearchTable))
        let event = SearchEvent(
            userId: "u1", sessionId: "s1", query: "oat milk", intent: "product_search", alphaValue: 0.3, resultsCount: 2,
            categories: ["dairy_alternatives", "produce/fruit"], responseTimeMs: 4
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = Spool.Configuration()
        configuration.schemas = [SearchEvent.table: try Self.schema(bqMk: Self.seedSearchTable)]
        configuration.strictSchemas = true
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        // Through the library's own encoder, as the server appends it; strict mode throws the validator's verdict.
        #expect(throws: Never.self) { try spool.append(event, to: SearchEvent.table) }
        let files = ["spool.db", "spool.db-wal"].compactMap { try? Data(contentsOf: directory.file($0)) }
        let stored = files.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(stored.contains(#""categories":"[\"dairy_alternatives\",\"produce/fruit\"]""#))
        // And through Foundation's encoder, which an application might use instead.
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let parsed = try JSONParser.parse(String(decoding: try encoder.encode(event), as: UTF8.self))
        #expect(validator.validate(parsed) == nil)
        #expect(parsed.objectValue?["categories"] == .string(#"["dairy_alternatives","produce/fruit"]"#))
    }

    @Test("timestamps are written as RFC 3339 text, prices as exact decimals")
    func timestampsAndPricesAreExact() throws {
        let event = CartEvent(
            userId: nil, sessionId: nil, action: "add", productSku: "OAT-001", productName: nil, quantity: 3,
            price: Decimal(string: "0.1")! + Decimal(string: "0.2")!, cartTotal: nil, timestamp: Date(timeIntervalSince1970: 1_795_683_600)
        )
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        try spool.append(event, to: CartEvent.table)
        // The row's JSON text as stored, wherever SQLite keeps it now (the file or its WAL).
        let files = ["spool.db", "spool.db-wal"].compactMap { try? Data(contentsOf: directory.file($0)) }
        let payload = files.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(payload.contains(#""timestamp":"2026-11-26T09:00:00.000000Z""#))
        #expect(payload.contains(#""price":0.3"#))
    }
}

/// Type erasure so a list of different events can be encoded.
struct AnyEncodable: Encodable {
    let wrapped: any Encodable
    init(_ wrapped: any Encodable) { self.wrapped = wrapped }
    func encode(to encoder: any Encoder) throws { try wrapped.encode(to: encoder) }
}
