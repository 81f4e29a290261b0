import Foundation

/// Wall-clock time as Spool stores it: Unix milliseconds.
enum WallClock {
    @Sendable static func nowMillis() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }
}
