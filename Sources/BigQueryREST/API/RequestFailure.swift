/// Why a BigQuery request produced no usable answer. It reports what happened; deciding whether to retry,
/// back off, pause or dead-letter is the caller's business.
public struct RequestFailure: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// BigQuery (or something in between) answered with a non-2xx status.
        case httpError
        /// No HTTP answer: connection, TLS or timeout (see `transportError`).
        case transport
        /// A 2xx answer whose body is not the JSON expected (truncated, HTML, wrong shape).
        case garbage
        /// No access token could be had (see `credentialsError`).
        case credentials
        /// The request was not sent: an id is not a plausible BigQuery id, or an argument is malformed.
        case invalidRequest
    }

    public let kind: Kind
    /// The HTTP status, when there was an answer.
    public let httpStatus: Int?
    /// The first `error.errors[].reason` of Google's error body: `invalid`, `rateLimitExceeded`,
    /// `quotaExceeded`, `accessDenied`, `notFound`, `backendError`, `parseError` …
    public let errorReason: String?
    /// Google's `error.message` (trimmed to about 500 characters), or our own explanation.
    public let message: String
    /// The `Retry-After` header, when the answer had one.
    public let retryAfter: RetryAfter?
    public let transportError: HTTPClientError?
    public let credentialsError: CredentialsError?

    package init(
        kind: Kind, httpStatus: Int? = nil, errorReason: String? = nil, message: String,
        retryAfter: RetryAfter? = nil, transportError: HTTPClientError? = nil,
        credentialsError: CredentialsError? = nil
    ) {
        self.kind = kind
        self.httpStatus = httpStatus
        self.errorReason = errorReason
        self.message = message
        self.retryAfter = retryAfter
        self.transportError = transportError
        self.credentialsError = credentialsError
    }

    public var description: String {
        var text: String
        switch kind {
        case .httpError: text = "HTTP \(httpStatus ?? 0)"
        case .transport: text = "no answer"
        case .garbage: text = "unreadable answer (HTTP \(httpStatus ?? 0))"
        case .credentials: text = "no access token"
        case .invalidRequest: text = "invalid request"
        }
        if let errorReason {
            text += " \(errorReason)"
        }
        text += ": \(message)"
        if let retryAfter {
            text += " (Retry-After \(retryAfter))"
        }
        return text
    }

    /// A failure for a non-2xx answer, reading Google's error body and the Retry-After header.
    package static func http(_ response: HTTPResponse) -> RequestFailure {
        let googleError = GoogleErrorBody(parsing: response.body)
        var reason = googleError?.reason
        if reason == nil, response.status == 409 {
            // Google always says "duplicate" for an existing resource; keep that promise for odd peers too.
            reason = "duplicate"
        }
        let message = googleError?.message
            ?? "HTTP \(response.status) without Google's error body (\(response.headers["Content-Type"] ?? "no content type"), \(response.body.count) bytes)"
        return RequestFailure(
            kind: .httpError, httpStatus: response.status, errorReason: reason, message: message,
            retryAfter: response.headers["Retry-After"].flatMap(RetryAfter.init(headerValue:))
        )
    }

    package static func garbage(_ response: HTTPResponse, expected: String) -> RequestFailure {
        RequestFailure(
            kind: .garbage, httpStatus: response.status,
            message: "HTTP \(response.status) body is not \(expected) (\(response.headers["Content-Type"] ?? "no content type"), \(response.body.count) bytes)"
        )
    }
}
