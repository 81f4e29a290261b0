import Logging
import Synchronization

/// Collects every log line (level, message and metadata) a logger emits, so tests can check what was
/// logged, and above all what was not (tokens, payloads).
public final class LogCapture: Sendable {
    /// One log call.
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]

        /// `level message key=value …` with metadata keys sorted.
        public var line: String {
            let rendered = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            return "\(level) \(message) \(rendered)"
        }
    }

    private let stored = Mutex<[Record]>([])

    public init() {}

    /// Every log call, in order, for checks on levels and metadata keys.
    public var records: [Record] { stored.withLock { $0 } }

    /// One line per log call: `level message key=value …` with metadata keys sorted.
    public var entries: [String] { records.map(\.line) }

    public var text: String { entries.joined(separator: "\n") }

    /// A logger whose every line lands here.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "spool.test") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ record: Record) {
        stored.withLock { $0.append(record) }
    }
}

private struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        capture.append(LogCapture.Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
