import Foundation

/// One search: a row of `user_search_events`, exactly as the seed's `bq mk` created that table (every column
/// NULLABLE, `categories` one STRING holding JSON text).
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
    /// Sent as JSON text (`["dairy","produce"]`) in the STRING column `categories`, as the seed's `json.dumps`
    /// did: the seed's table has no REPEATED column for them.
    public var categories: [String]
    /// INTEGER: the seed sent a float here, which BigQuery refuses.
    public var responseTimeMs: Int?
    public var timestamp: Date

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, query: String?, intent: String?,
        alphaValue: Double?, resultsCount: Int?, categories: [String], responseTimeMs: Int?, timestamp: Date = Date()
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
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", query, intent
        case alphaValue = "alpha_value", resultsCount = "results_count", categories
        case responseTimeMs = "response_time_ms", timestamp
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(eventId, forKey: .eventId)
        try container.encodeIfPresent(userId, forKey: .userId)
        try container.encodeIfPresent(sessionId, forKey: .sessionId)
        try container.encodeIfPresent(query, forKey: .query)
        try container.encodeIfPresent(intent, forKey: .intent)
        try container.encodeIfPresent(alphaValue, forKey: .alphaValue)
        try container.encodeIfPresent(resultsCount, forKey: .resultsCount)
        try container.encode(Self.jsonText(categories), forKey: .categories)
        try container.encodeIfPresent(responseTimeMs, forKey: .responseTimeMs)
        try container.encode(timestamp, forKey: .timestamp)
    }

    /// `["a","b"]`, as Python's `json.dumps` writes a list of strings (without its spaces).
    static func jsonText(_ strings: [String]) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return String(decoding: try encoder.encode(strings), as: UTF8.self)
    }
}
