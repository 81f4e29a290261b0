import Foundation
import Synchronization

/// An access token and the moment it stops being valid.
package struct AccessToken: Sendable {
    package let value: String
    package let expiresAt: Date

    package init(value: String, expiresAt: Date) {
        self.value = value
        self.expiresAt = expiresAt
    }
}

/// Holds one token for a provider and decides when it must be fetched again. Thread-safe.
///
/// The fetch runs outside the lock, so a slow token endpoint never blocks a thread that only reads a valid
/// token; two threads that find the cache empty at once may both fetch, and the later token wins.
package final class TokenCache: Sendable {
    private let cached = Mutex<AccessToken?>(nil)
    package let policy: TokenRefreshPolicy

    package init(policy: TokenRefreshPolicy) {
        self.policy = policy
    }

    package func token(
        fetch: (_ now: Date) throws(CredentialsError) -> AccessToken
    ) throws(CredentialsError) -> String {
        let now = policy.now()
        let margin = Double(policy.refreshBeforeExpiry.components.seconds)
        if let current = cached.withLock({ $0 }), current.expiresAt.timeIntervalSince(now) > margin {
            return current.value
        }
        let fresh = try fetch(now)
        cached.withLock { $0 = fresh }
        return fresh.value
    }

    package func invalidate() {
        cached.withLock { $0 = nil }
    }
}
