extension Duration {
    /// Whole milliseconds, at least 1, clamped to `Int64.max / 4`: what libcurl's and
    /// BigQuery's millisecond options take. A huge configured timeout is then as good as none instead of a trap.
    package var timeoutMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let limit = Int64.max / 4
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow, whole < limit else { return limit }
        return max(1, whole + attoseconds / 1_000_000_000_000_000)
    }
}
