import SpoolJSON

/// Google's error answer: `{"error":{"code":403,"message":"…","errors":[{"reason":"accessDenied",…}],
/// "status":"PERMISSION_DENIED"}}`. Its words describe the request, never our credentials.
package struct GoogleErrorBody: Sendable {
    /// The first `error.errors[].reason`, e.g. `invalid`, `rateLimitExceeded`, `notFound`.
    package var reason: String?
    /// `error.message`, trimmed.
    package var message: String?

    /// Long enough for BigQuery's messages, short enough for a log line.
    package static let maximumMessageLength = 500

    package init(reason: String?, message: String?) {
        self.reason = reason
        self.message = message
    }

    /// nil when `body` is not Google's error shape.
    package init?(parsing body: [UInt8]) {
        guard !body.isEmpty, let error = (try? JSONParser.parse(body))?.objectValue?["error"]?.objectValue else {
            return nil
        }
        let firstError = error["errors"]?.arrayValue?.first?.objectValue
        self.reason = firstError?["reason"]?.stringValue
        let message = error["message"]?.stringValue ?? firstError?["message"]?.stringValue
        self.message = message.map(Self.trimmed)
    }

    package static func trimmed(_ message: String) -> String {
        message.count > maximumMessageLength ? String(message.prefix(maximumMessageLength)) + "…" : message
    }
}
