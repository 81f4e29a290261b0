import Foundation

/// An add, remove or update in a cart: a row of `cart_modification_events`.
public struct CartEvent: Encodable, Sendable {
    public static let table = "cart_modification_events"

    public var eventId: String
    public var userId: String?
    public var sessionId: String?
    /// add, remove or update.
    public var action: String
    public var productSku: String
    public var productName: String?
    public var quantity: Int?
    /// NUMERIC(12, 2): a Decimal, so 0.1 + 0.2 stays 0.3.
    public var price: Decimal?
    public var cartTotal: Decimal?
    public var timestamp: Date
    public var eventProperties: EventProperties?

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, action: String, productSku: String,
        productName: String?, quantity: Int?, price: Decimal?, cartTotal: Decimal?, timestamp: Date = Date(),
        eventProperties: EventProperties? = nil
    ) {
        self.eventId = eventId
        self.userId = userId
        self.sessionId = sessionId
        self.action = action
        self.productSku = productSku
        self.productName = productName
        self.quantity = quantity
        self.price = price
        self.cartTotal = cartTotal
        self.timestamp = timestamp
        self.eventProperties = eventProperties
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", action
        case productSku = "product_sku", productName = "product_name", quantity, price, cartTotal = "cart_total"
        case timestamp, eventProperties = "event_properties"
    }
}
