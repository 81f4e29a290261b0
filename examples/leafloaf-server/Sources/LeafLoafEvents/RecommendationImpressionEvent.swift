import Foundation

/// Recommendations shown to a user: a row of `recommendation_impression_events`.
public struct RecommendationImpressionEvent: Encodable, Sendable {
    public static let table = "recommendation_impression_events"

    public var eventId: String
    public var userId: String?
    public var sessionId: String?
    public var recommendationId: String?
    /// Where they were shown: home, search, cart …
    public var surface: String?
    public var recommendedSkus: [String]
    public var modelName: String?
    public var modelVersion: String?
    public var position: Int?
    /// One score per recommended SKU.
    public var scores: [Double]
    public var timestamp: Date
    public var eventProperties: EventProperties?

    public init(
        eventId: String = UUID().uuidString, userId: String?, sessionId: String?, recommendationId: String?,
        surface: String?, recommendedSkus: [String], modelName: String?, modelVersion: String?, position: Int?,
        scores: [Double], timestamp: Date = Date(), eventProperties: EventProperties? = nil
    ) {
        self.eventId = eventId
        self.userId = userId
        self.sessionId = sessionId
        self.recommendationId = recommendationId
        self.surface = surface
        self.recommendedSkus = recommendedSkus
        self.modelName = modelName
        self.modelVersion = modelVersion
        self.position = position
        self.scores = scores
        self.timestamp = timestamp
        self.eventProperties = eventProperties
    }

    enum CodingKeys: String, CodingKey {
        case eventId = "event_id", userId = "user_id", sessionId = "session_id", recommendationId = "recommendation_id"
        case surface, recommendedSkus = "recommended_skus", modelName = "model_name", modelVersion = "model_version"
        case position, scores, timestamp, eventProperties = "event_properties"
    }
}
