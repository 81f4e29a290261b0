import Foundation
import Synchronization

/// A wall clock that tests move by hand, for code that takes an injectable `@Sendable () -> Date`.
public final class ManualDateClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date()) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    /// The clock as a function to inject.
    public var function: @Sendable () -> Date { { [self] in now } }
}
