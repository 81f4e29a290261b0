import Foundation

/// Answers shaped like Google's, for stubs and scripted failures.
public enum GoogleErrorReply {
    /// Google's error body: `{"error":{"code":…,"message":…,"errors":[{"message":…,"domain":"global",
    /// "reason":…}],"status":…}}`.
    public static func body(status: Int, reason: String, message: String) -> String {
        let object: [String: Any] = [
            "error": [
                "code": status,
                "message": message,
                "errors": [["message": message, "domain": "global", "reason": reason]],
                "status": statusName(status),
            ] as [String: Any]
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }

    /// An error answer, with a `Retry-After` header when given.
    public static func reply(status: Int, reason: String, message: String, retryAfter: String? = nil) -> StubReply {
        var headers: [(name: String, value: String)] = []
        if let retryAfter {
            headers.append((name: "Retry-After", value: retryAfter))
        }
        return .json(status, body(status: status, reason: reason, message: message), headers: headers)
    }

    /// The canonical gRPC-style status name Google puts beside the code.
    public static func statusName(_ status: Int) -> String {
        switch status {
        case 400: "INVALID_ARGUMENT"
        case 401: "UNAUTHENTICATED"
        case 403: "PERMISSION_DENIED"
        case 404: "NOT_FOUND"
        case 409: "ALREADY_EXISTS"
        case 429: "RESOURCE_EXHAUSTED"
        case 500: "INTERNAL"
        case 501: "NOT_IMPLEMENTED"
        case 503: "UNAVAILABLE"
        case 504: "DEADLINE_EXCEEDED"
        default: "UNKNOWN"
        }
    }

    // Answers seen from BigQuery, ready to script.

    public static func rateLimitExceeded() -> StubReply {
        reply(status: 403, reason: "rateLimitExceeded", message: "Exceeded rate limits: too many api requests per user per method for this user_method. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas")
    }

    public static func quotaExceeded() -> StubReply {
        reply(status: 403, reason: "quotaExceeded", message: "Quota exceeded: Your table exceeded quota for imports or query appends per table.")
    }

    public static func accessDenied(project: String, dataset: String, table: String) -> StubReply {
        reply(status: 403, reason: "accessDenied", message: "Access Denied: Table \(project):\(dataset).\(table): Permission bigquery.tables.updateData denied on table \(project):\(dataset).\(table) (or it may not exist).")
    }

    public static func tableNotFound(project: String, dataset: String, table: String) -> StubReply {
        reply(status: 404, reason: "notFound", message: "Not found: Table \(project):\(dataset).\(table)")
    }

    public static func unauthorized() -> StubReply {
        reply(status: 401, reason: "authError", message: "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.")
    }

    public static func backendError(status: Int = 500) -> StubReply {
        status == 503
            ? reply(status: 503, reason: "backendError", message: "The service is currently unavailable.")
            : reply(status: status, reason: "backendError", message: "An internal error occurred and the request could not be completed. This is usually caused by a transient issue.")
    }

    public static func tooManyRequests(retryAfter: String) -> StubReply {
        reply(status: 429, reason: "rateLimitExceeded", message: "Too many requests", retryAfter: retryAfter)
    }
}
