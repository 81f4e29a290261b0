import Foundation

/// A request as the loopback server received it, body already decoded when it came gzip-compressed.
public struct ReceivedRequest: Sendable {
    public var method: String
    /// The request target: path and query, e.g. `/bigquery/v2/projects/p/queries?pageToken=x`.
    public var target: String
    public var headers: [(name: String, value: String)]
    /// The decoded body.
    public var body: [UInt8]
    /// The body's size on the wire, before gunzip.
    public var wireBodySize: Int
    /// Whether the body came with `Content-Encoding: gzip` and was decoded.
    public var wasGzipped: Bool
    /// Which TCP connection carried the request: 1 for the server's first connection, and so on.
    public var connectionNumber: Int
    /// Whether the server answered `100 Continue` before reading the body.
    public var sentContinue: Bool

    /// The target without its query.
    public var path: String {
        String(target.prefix { $0 != "?" })
    }

    /// The query's parameters, percent-decoded.
    public var queryItems: [String: String] {
        guard let components = URLComponents(string: target) else { return [:] }
        var items: [String: String] = [:]
        for item in components.queryItems ?? [] {
            items[item.name] = item.value ?? ""
        }
        return items
    }

    public var bodyText: String {
        String(decoding: body, as: UTF8.self)
    }

    /// The first value of a header, compared case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    /// The body parsed as JSON, or nil.
    public func jsonBody() -> Any? {
        try? JSONSerialization.jsonObject(with: Data(body))
    }

    /// The body parsed as `application/x-www-form-urlencoded` fields.
    public func formFields() -> [String: String] {
        var fields: [String: String] = [:]
        for pair in bodyText.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            let value = parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            fields[name] = value
        }
        return fields
    }
}
