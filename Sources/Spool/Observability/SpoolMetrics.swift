import Metrics
import SpoolStorage
import Synchronization

/// Spool's metrics through swift-metrics. Metric objects are created once per label and dimension set and reused;
/// the application bootstraps the backend (Spool never does). Names follow Prometheus' conventions (`_total`
/// counters, `_seconds` and `_bytes` units), so a Prometheus backend exports them as they are; the alert rules in
/// examples/prometheus/spool-alerts.yml read them.
///
/// The factory is the one in effect when the spool is opened — the global one, or a task-local one bound with
/// `withMetricsFactory(_:_:)` — and every metric of this spool uses it, including those of tables seen later.
final class SpoolMetrics: Sendable {
    private let prefix: String
    private let factory: any MetricsFactory
    private let appendLatency: Timer
    private let uploadLatency: Timer
    private let batchRows: Recorder
    private let perTable = Mutex<[String: TableMetrics]>([:])
    private let deadLetterCounters = Mutex<[String: Counter]>([:])
    private let health: HealthGauges

    /// The metrics of one event table, created on its first use.
    struct TableMetrics: Sendable {
        let appended: Counter
        let dropped: Counter
        let delivered: Counter
        let retried: Counter
        let pendingRows: Gauge
        let pendingBytes: Gauge
        let oldestPendingAgeSeconds: Gauge
    }

    init(labelPrefix: String) {
        prefix = labelPrefix
        factory = MetricsSystem.factory
        appendLatency = Timer(label: "\(labelPrefix)_append_duration_seconds", factory: factory)
        uploadLatency = Timer(label: "\(labelPrefix)_upload_duration_seconds", factory: factory)
        batchRows = Recorder(label: "\(labelPrefix)_batch_rows", factory: factory)
        health = HealthGauges(prefix: labelPrefix, factory: factory)
    }

    func table(_ name: String) -> TableMetrics {
        perTable.withLock { tables in
            if let existing = tables[name] { return existing }
            let dimensions = [("table", name)]
            let metrics = TableMetrics(
                appended: Counter(label: "\(prefix)_appended_total", dimensions: dimensions, factory: factory),
                dropped: Counter(label: "\(prefix)_dropped_total", dimensions: dimensions, factory: factory),
                delivered: Counter(label: "\(prefix)_delivered_total", dimensions: dimensions, factory: factory),
                retried: Counter(label: "\(prefix)_retried_total", dimensions: dimensions, factory: factory),
                pendingRows: Gauge(label: "\(prefix)_pending_rows", dimensions: dimensions, factory: factory),
                pendingBytes: Gauge(label: "\(prefix)_pending_bytes", dimensions: dimensions, factory: factory),
                oldestPendingAgeSeconds: Gauge(label: "\(prefix)_oldest_pending_age_seconds", dimensions: dimensions, factory: factory)
            )
            tables[name] = metrics
            return metrics
        }
    }

    /// Counts an append; evictions count against the tables that lost the rows, as `spoolctl status` does.
    func appended(table name: String, evicted: EvictedRows, duration: Duration) {
        table(name).appended.increment()
        for (lost, rows) in evicted where rows > 0 {
            table(lost).dropped.increment(by: rows)
        }
        appendLatency.recordNanoseconds(duration.inNanoseconds)
    }

    func uploaded(table name: String, rows: Int, duration: Duration) {
        uploadLatency.recordNanoseconds(duration.inNanoseconds)
        batchRows.record(rows)
    }

    func delivered(table name: String, rows: Int) {
        guard rows > 0 else { return }
        table(name).delivered.increment(by: rows)
    }

    func retried(table name: String, rows: Int) {
        guard rows > 0 else { return }
        table(name).retried.increment(by: rows)
    }

    func deadLettered(table name: String, reason: String) {
        let counter = deadLetterCounters.withLock { counters in
            let key = name + "\u{0}" + reason
            if let existing = counters[key] { return existing }
            let counter = Counter(label: "\(prefix)_dead_lettered_total", dimensions: [("table", name), ("reason", reason)], factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Sets the backlog gauges of every table in `status`, and zero for tables seen before that no longer wait.
    func recordPending(_ status: SpoolStatus, now: Int64) {
        var seen: Set<String> = []
        for table in status.tables {
            seen.insert(table.table)
            let age = table.oldestCreatedAt.map { max(0, Double(now - $0) / 1000) } ?? 0
            pending(table: table.table, rows: table.pendingRows, bytes: table.pendingBytes, oldestAgeSeconds: table.pendingRows > 0 ? age : 0)
        }
        let known = perTable.withLock { Array($0.keys) }
        for name in known where !seen.contains(name) {
            pending(table: name, rows: 0, bytes: 0, oldestAgeSeconds: 0)
        }
    }

    private func pending(table name: String, rows: Int, bytes: Int64, oldestAgeSeconds: Double) {
        let metrics = table(name)
        metrics.pendingRows.record(rows)
        metrics.pendingBytes.record(bytes)
        metrics.oldestPendingAgeSeconds.record(oldestAgeSeconds)
    }

    /// Sets the gauges alert rules need beside the backlog: paused tables, the cap, the last successful upload and
    /// the lease's last renewal (from the same `status` as `recordPending`).
    func recordHealth(_ status: SpoolStatus, maxPendingRows: Int?, maxPendingBytes: Int64?) {
        health.record(status, maxPendingRows: maxPendingRows, maxPendingBytes: maxPendingBytes)
    }
}

/// The spool-wide gauges of `recordHealth`, and `table_paused` per table and pause reason.
private final class HealthGauges: Sendable {
    private let prefix: String
    private let factory: any MetricsFactory
    /// The cap's gauges, created on first use: a gauge that exists reads 0 until set, and a zero cap would make
    /// every ratio against it infinite.
    private let caps = Mutex<[String: Gauge]>([:])
    private let lastSuccess: Gauge
    private let leaseRenewed: Gauge
    /// Keyed by table, then pause reason: a table paused once keeps a series per reason, 0 unless paused for it.
    private let paused = Mutex<[String: [String: Gauge]]>([:])

    init(prefix: String, factory: any MetricsFactory) {
        self.prefix = prefix
        self.factory = factory
        lastSuccess = Gauge(label: "\(prefix)_last_success_timestamp_seconds", factory: factory)
        leaseRenewed = Gauge(label: "\(prefix)_uploader_lease_renewed_timestamp_seconds", factory: factory)
    }

    private func cap(_ name: String) -> Gauge {
        caps.withLock { caps in
            if let existing = caps[name] { return existing }
            let gauge = Gauge(label: "\(prefix)_\(name)", factory: factory)
            caps[name] = gauge
            return gauge
        }
    }

    func record(_ status: SpoolStatus, maxPendingRows rows: Int?, maxPendingBytes bytes: Int64?) {
        // No cap is no series at all, so that a ratio against it is empty instead of infinite.
        if let rows { cap("max_pending_rows").record(rows) }
        if let bytes { cap("max_pending_bytes").record(bytes) }
        // Zero means never (no successful upload recorded in the file, no lease held): as old as it gets.
        lastSuccess.record(Double(status.lastSuccessAt ?? 0) / 1000)
        leaseRenewed.record(Double(status.lease?.renewedAt ?? 0) / 1000)
        var pauseReasons: [String: String] = [:]
        for table in status.tables where table.isPaused {
            pauseReasons[table.table] = table.pauseReason ?? "unknown"
        }
        paused.withLock { paused in
            for (table, reason) in pauseReasons where paused[table]?[reason] == nil {
                paused[table, default: [:]][reason] = Gauge(
                    label: "\(prefix)_table_paused", dimensions: [("table", table), ("reason", reason)], factory: factory
                )
            }
            for (table, gauges) in paused {
                for (reason, gauge) in gauges {
                    gauge.record(pauseReasons[table] == reason ? 1 : 0)
                }
            }
        }
    }
}
