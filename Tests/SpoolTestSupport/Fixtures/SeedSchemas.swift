import Foundation
import SpoolSchema

/// The seed's five table schemas from examples/leafloaf/schemas/.
public enum SeedSchemas {
    public static var directory: URL {
        BuiltProducts.repositoryRoot.appendingPathComponent("examples/leafloaf/schemas")
    }

    public static func load() throws -> [String: TableSchema] {
        try SchemaDirectory.load(from: directory)
    }

    /// `user_search_events` with every mode and a RECORD — REQUIRED `event_id` and `timestamp`, REPEATED `categories`,
    /// an `event_properties` RECORD — for tests of modes and nesting. The seed's own table (`directory`) is flat and
    /// all NULLABLE.
    public static let searchWithRecords: TableSchema = try! TableSchema(jsonData: Data(searchWithRecordsFields.utf8), file: "search_with_records.json")

    /// `searchWithRecords`' fields as JSON text (a table's `schema.fields`).
    public static let searchWithRecordsFields = #"""
        [{"name": "event_id", "type": "STRING", "mode": "REQUIRED"}, {"name": "user_id", "type": "STRING", "mode": "NULLABLE"},
         {"name": "session_id", "type": "STRING", "mode": "NULLABLE"}, {"name": "query", "type": "STRING", "mode": "NULLABLE"},
         {"name": "intent", "type": "STRING", "mode": "NULLABLE"}, {"name": "alpha_value", "type": "FLOAT", "mode": "NULLABLE"},
         {"name": "results_count", "type": "INTEGER", "mode": "NULLABLE"}, {"name": "categories", "type": "STRING", "mode": "REPEATED"},
         {"name": "response_time_ms", "type": "INTEGER", "mode": "NULLABLE"}, {"name": "timestamp", "type": "TIMESTAMP", "mode": "REQUIRED"},
         {"name": "event_properties", "type": "RECORD", "mode": "NULLABLE", "fields": [{"name": "source", "type": "STRING", "mode": "NULLABLE"},
          {"name": "experiment", "type": "STRING", "mode": "NULLABLE"}, {"name": "page", "type": "INTEGER", "mode": "NULLABLE"}]}]
        """#

    public static let tableNames = [
        "cart_modification_events", "order_transaction_events", "product_interaction_events",
        "recommendation_impression_events", "user_search_events",
    ]
}
