import Foundation

/// One search: a row of `user_search_events`.
public struct SearchEvent: Encodable, Sendable {
    public static let table = "user_search_events"

    public var eventId: String
    public var userId: String?
    public var sessionId: String?
    public var query: String?
    public var intent: String?
    /// The hybrid search's keyword/semantic balance.
    public var alphaValue: Double?
    public var resultsCount: Int?
    /// REPEATED STRING: the seed sent `json.dumps(categories)`, one string.
    public var categories: [String]
    /// INTEGER: the seed sent a float here, which BigQuery refuses.
    public var responseTimeMs: Int?
    public var timestamp: Date
    public var eventProperties: EventProperties?

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, query: String?, intent: String?,
        alphaValue: Double?, resultsCount: Int?, categories: [String], responseTimeMs: Int?,
        timestamp: Date = Date(), eventProperties: EventProperties? = nil
    ) {
        self.eventId = eventId
        self.userId = userId
        self.sessionId = sessionId
        self.query = query
        self.intent = intent
        self.alphaValue = alphaValue
        self.resultsCount = resultsCount
        self.categories = categories
        self.responseTimeMs = responseTimeMs
        self.timestamp = timestamp
        self.eventProperties = eventProperties
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", query, intent
        case alphaValue = "alpha_value", resultsCount = "results_count", categories
        case responseTimeMs = "response_time_ms", timestamp, eventProperties = "event_properties"
    }
}
