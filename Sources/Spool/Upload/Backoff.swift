/// Exponential backoff with full jitter (AWS's "full jitter", as Google's client libraries do): the wait is drawn
/// uniformly between the floor and a ceiling that doubles with each consecutive failure, so that many clients
/// retrying at once spread out instead of striking together.
struct Backoff: Sendable {
    var floor: Duration
    var ceiling: Duration

    /// The wait after the `failures`-th consecutive failure (1 for the first), at least `minimum` (Retry-After).
    func delay(afterFailures failures: Int, minimum: Duration? = nil, using random: inout some RandomNumberGenerator) -> Duration {
        let floorMs = max(0, floor.inMilliseconds)
        let exponent = min(max(failures - 1, 0), 30)
        let cap = max(floorMs, min(ceiling.inMilliseconds, floorMs << exponent))
        let drawn = Int64.random(in: floorMs...cap, using: &random)
        return .milliseconds(max(drawn, minimum?.inMilliseconds ?? 0))
    }
}
