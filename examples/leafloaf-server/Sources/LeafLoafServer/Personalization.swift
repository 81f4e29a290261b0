import Synchronization

/// Real-time personalization, entirely in memory: it never waits on, or depends on, the spool or BigQuery.
public final class Personalization: Sendable {
    /// Signal weights by kind of interaction (the seed's "signal weight/strength").
    public static func weight(of signal: String) -> Double {
        switch signal {
        case "purchase": 5
        case "add_to_cart": 3
        case "click": 1
        case "view": 0.5
        default: 0.2
        }
    }

    private let scores = Mutex<[String: [String: Double]]>([:])

    public init() {}

    /// Adds `weight` to the user's affinity for `category`.
    public func record(user: String, category: String, weight: Double) {
        scores.withLock { $0[user, default: [:]][category, default: 0] += weight }
    }

    /// The user's affinity per category.
    public func preferences(user: String) -> [String: Double] {
        scores.withLock { $0[user] ?? [:] }
    }

    /// `products` with the user's preferred categories first (stable for equal scores).
    public func rank(_ products: [Product], for user: String) -> (products: [Product], personalized: Bool) {
        let affinity = preferences(user: user)
        guard !affinity.isEmpty else { return (products, false) }
        let ranked = products.enumerated().sorted { left, right in
            let a = affinity[left.element.category] ?? 0, b = affinity[right.element.category] ?? 0
            return a != b ? a > b : left.offset < right.offset
        }.map(\.element)
        return (ranked, true)
    }
}
