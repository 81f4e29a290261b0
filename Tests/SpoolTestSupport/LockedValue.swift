import Synchronization

/// A value shared between a test and the threads or closures it starts (Mutex itself cannot be captured).
public final class LockedValue<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    public init(_ value: Value) {
        mutex = Mutex(value)
    }

    public var value: Value { mutex.withLock { $0 } }

    public func update(_ change: (inout Value) -> Void) {
        mutex.withLock { change(&$0) }
    }
}
