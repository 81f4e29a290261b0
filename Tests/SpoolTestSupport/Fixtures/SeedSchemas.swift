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

    public static let tableNames = [
        "cart_modification_events", "order_transaction_events", "product_interaction_events",
        "recommendation_impression_events", "user_search_events",
    ]
}
