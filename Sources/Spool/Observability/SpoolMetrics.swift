import Metrics
import SpoolStorage
import Synchronization

/// Spool's metrics through swift-metrics. Metric objects are created once per label and dimension set and reused;
/// the application bootstraps the backend (Spool never does).
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

    /// The metrics of one event table, created on its first use.
    struct TableMetrics: Sendable {
        let appended: Counter
        let dropped: Counter
        let delivered: Counter
        let retried: Counter
        let pendingRows: Gauge
        let oldestPendingAgeSeconds: Gauge
    }

    init(labelPrefix: String) {
        prefix = labelPrefix
        factory = MetricsSystem.factory
        appendLatency = Timer(label: "\(labelPrefix)_append_duration", factory: factory)
        uploadLatency = Timer(label: "\(labelPrefix)_upload_duration", factory: factory)
        batchRows = Recorder(label: "\(labelPrefix)_batch_rows", factory: factory)
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
                oldestPendingAgeSeconds: Gauge(label: "\(prefix)_oldest_pending_age_seconds", dimensions: dimensions, factory: factory)
            )
            tables[name] = metrics
            return metrics
        }
    }

    func appended(table name: String, evicted: Int, duration: Duration) {
        let metrics = table(name)
        metrics.appended.increment()
        if evicted > 0 {
            metrics.dropped.increment(by: evicted)
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
            pending(table: table.table, rows: table.pendingRows, oldestAgeSeconds: table.pendingRows > 0 ? age : 0)
        }
        let known = perTable.withLock { Array($0.keys) }
        for name in known where !seen.contains(name) {
            pending(table: name, rows: 0, oldestAgeSeconds: 0)
        }
    }

    private func pending(table name: String, rows: Int, oldestAgeSeconds: Double) {
        let metrics = table(name)
        metrics.pendingRows.record(rows)
        metrics.oldestPendingAgeSeconds.record(oldestAgeSeconds)
    }
}
