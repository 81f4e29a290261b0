import Logging
import Synchronization

/// Collects every log line (level, message and metadata) a logger emits, so tests can check what was
/// logged, and above all what was not (tokens, payloads).
public final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])

    public init() {}

    /// One line per log call: `level message key=value …` with metadata keys sorted.
    public var entries: [String] { lines.withLock { $0 } }

    public var text: String { entries.joined(separator: "\n") }

    /// A logger whose every line lands here.
    public func logger(level: Logger.Level = .trace) -> Logger {
        var logger = Logger(label: "spool.test") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = level
        return logger
    }

    fileprivate func append(_ line: String) {
        lines.withLock { $0.append(line) }
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
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        capture.append("\(event.level) \(event.message) \(rendered)")
    }
}
