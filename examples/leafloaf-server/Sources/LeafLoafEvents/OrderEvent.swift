import Foundation

/// A completed (or cancelled, refunded) order: a row of `order_transaction_events`.
public struct OrderEvent: Encodable, Sendable {
    public static let table = "order_transaction_events"

    public struct Item: Encodable, Sendable, Equatable {
        public var sku: String
        public var name: String?
        public var quantity: Int
        public var price: Decimal?

        public init(sku: String, name: String?, quantity: Int, price: Decimal?) {
            self.sku = sku
            self.name = name
            self.quantity = quantity
            self.price = price
        }
    }

    public struct Discount: Encodable, Sendable, Equatable {
        public var code: String?
        public var amount: Decimal?

        public init(code: String?, amount: Decimal?) {
            self.code = code
            self.amount = amount
        }
    }

    public struct Delivery: Encodable, Sendable, Equatable {
        public var method: String?
        public var windowStart: Date?
        public var windowEnd: Date?
        public var instructions: String?

        public init(method: String?, windowStart: Date?, windowEnd: Date?, instructions: String?) {
            self.method = method
            self.windowStart = windowStart
            self.windowEnd = windowEnd
            self.instructions = instructions
        }

        enum CodingKeys: String, CodingKey {
            case method, windowStart = "window_start", windowEnd = "window_end", instructions
        }
    }

    public var eventId: String
    public var userId: String?
    public var sessionId: String?
    public var orderId: String
    /// completed, cancelled, refunded …
    public var status: String?
    /// Amount charged, after discounts.
    public var total: Decimal?
    /// ISO 4217 code.
    public var currency: String?
    public var items: [Item]
    public var discounts: [Discount]
    public var delivery: Delivery?
    public var timestamp: Date
    public var eventProperties: EventProperties?

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, orderId: String, status: String?,
        total: Decimal?, currency: String?, items: [Item], discounts: [Discount], delivery: Delivery?,
        timestamp: Date = Date(), eventProperties: EventProperties? = nil
    ) {
        self.eventId = eventId
        self.userId = userId
        self.sessionId = sessionId
        self.orderId = orderId
        self.status = status
        self.total = total
        self.currency = currency
        self.items = items
        self.discounts = discounts
        self.delivery = delivery
        self.timestamp = timestamp
        self.eventProperties = eventProperties
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", orderId = "order_id", status, total
        case currency, items, discounts, delivery, timestamp, eventProperties = "event_properties"
    }
}
