import Foundation

/// A click, view or add-to-cart signal on a product: a row of `product_interaction_events`.
public struct InteractionEvent: Encodable, Sendable {
    public static let table = "product_interaction_events"

    public var eventId: String
    public var userId: String?
    public var sessionId: String?
    /// click, view, add_to_cart …
    public var signalType: String?
    public var productSku: String
    public var productName: String?
    public var productCategory: String?
    /// Position in the search results.
    public var position: Int?
    /// How strongly the signal counts for personalization.
    public var signalWeight: Double?
    public var searchQuery: String?
    public var timestamp: Date
    public var eventProperties: EventProperties?

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, signalType: String?,
        productSku: String, productName: String?, productCategory: String?, position: Int?, signalWeight: Double?,
        searchQuery: String?, timestamp: Date = Date(), eventProperties: EventProperties? = nil
    ) {
        self.eventId = eventId
        self.userId = userId
        self.sessionId = sessionId
        self.signalType = signalType
        self.productSku = productSku
        self.productName = productName
        self.productCategory = productCategory
        self.position = position
        self.signalWeight = signalWeight
        self.searchQuery = searchQuery
        self.timestamp = timestamp
        self.eventProperties = eventProperties
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", signalType = "signal_type"
        case productSku = "product_sku", productName = "product_name", productCategory = "product_category"
        case position, signalWeight = "signal_weight", searchQuery = "search_query", timestamp
        case eventProperties = "event_properties"
    }
}
