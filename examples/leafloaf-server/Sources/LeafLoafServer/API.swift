import Foundation
import Hummingbird

// The JSON the endpoints take and give, with the seed's snake_case names.

public struct SearchRequest: Codable, Sendable {
    public var userId: String?
    public var sessionId: String?
    public var query: String
    public var source: String?

    public init(userId: String?, sessionId: String?, query: String, source: String? = nil) {
        self.userId = userId
        self.sessionId = sessionId
        self.query = query
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", sessionId = "session_id", query, source
    }
}

public struct ProductView: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    public var category: String
    public var price: Decimal

    init(_ product: Product) {
        sku = product.sku
        name = product.name
        category = product.category
        price = product.price
    }
}

public struct SearchResponse: ResponseCodable, Sendable {
    public var results: [ProductView]
    public var intent: String
    public var personalized: Bool

    enum CodingKeys: String, CodingKey {
        case results, intent, personalized
    }
}

public struct InteractionRequest: Codable, Sendable {
    public var userId: String?
    public var sessionId: String?
    /// click, view, add_to_cart, purchase …
    public var signalType: String
    public var sku: String
    public var position: Int?
    public var searchQuery: String?

    public init(userId: String?, sessionId: String?, signalType: String, sku: String, position: Int? = nil, searchQuery: String? = nil) {
        self.userId = userId
        self.sessionId = sessionId
        self.signalType = signalType
        self.sku = sku
        self.position = position
        self.searchQuery = searchQuery
    }

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", sessionId = "session_id", signalType = "signal_type", sku, position
        case searchQuery = "search_query"
    }
}

public struct PreferencesResponse: ResponseCodable, Sendable {
    public var userId: String
    /// Affinity per category, from this process's memory alone.
    public var preferences: [String: Double]

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", preferences
    }
}

public struct CartRequest: Codable, Sendable {
    public var userId: String?
    public var sessionId: String?
    /// add, remove or update.
    public var action: String
    public var sku: String
    public var quantity: Int

    public init(userId: String?, sessionId: String?, action: String, sku: String, quantity: Int) {
        self.userId = userId
        self.sessionId = sessionId
        self.action = action
        self.sku = sku
        self.quantity = quantity
    }

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", sessionId = "session_id", action, sku, quantity
    }
}

public struct CartResponse: ResponseCodable, Sendable {
    public struct Line: Codable, Sendable, Equatable {
        public var sku: String
        public var quantity: Int
    }

    public var items: [Line]
    public var total: Decimal
}

public struct OrderRequest: Codable, Sendable {
    public var userId: String?
    public var sessionId: String?
    public var discountCode: String?
    public var deliveryMethod: String?

    public init(userId: String?, sessionId: String?, discountCode: String? = nil, deliveryMethod: String? = nil) {
        self.userId = userId
        self.sessionId = sessionId
        self.discountCode = discountCode
        self.deliveryMethod = deliveryMethod
    }

    enum CodingKeys: String, CodingKey {
        case userId = "user_id", sessionId = "session_id", discountCode = "discount_code"
        case deliveryMethod = "delivery_method"
    }
}

public struct OrderResponse: ResponseCodable, Sendable {
    public var orderId: String
    public var status: String
    public var total: Decimal
    public var items: Int

    enum CodingKeys: String, CodingKey {
        case orderId = "order_id", status, total, items
    }
}
