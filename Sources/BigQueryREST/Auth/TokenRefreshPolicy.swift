import Foundation

/// When a cached access token is replaced, and which clock decides it.
public struct TokenRefreshPolicy: Sendable {
    /// A token is refreshed this long before it expires, so that no request goes out with a dying token.
    public var refreshBeforeExpiry: Duration
    /// The current time; tests inject their own clock.
    public var now: @Sendable () -> Date

    public init(refreshBeforeExpiry: Duration = .seconds(300), now: @escaping @Sendable () -> Date = { Date() }) {
        self.refreshBeforeExpiry = refreshBeforeExpiry
        self.now = now
    }
}
