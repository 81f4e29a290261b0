/// One insertAll row error, in BigQuery's shape: `reason` (`invalid`), `location` (the field path,
/// empty for row-wide problems) and `message` (BigQuery's words where they are known).
///
/// Like BigQuery's own messages, `message` may quote a fragment of the offending value (capped at
/// 128 characters): it belongs beside the row's payload, in the dead-letter table, not in logs.
public struct RowError: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    public var reason: String
    public var location: String
    public var message: String

    public init(reason: String, location: String, message: String) {
        self.reason = reason
        self.location = location
        self.message = message
    }

    /// A row error with reason `invalid`, the only reason BigQuery gives for a row it will never accept.
    public static func invalid(location: String, message: String) -> RowError {
        RowError(reason: "invalid", location: location, message: message)
    }

    public var description: String {
        location.isEmpty ? "\(reason): \(message)" : "\(reason) at \(location): \(message)"
    }
}
