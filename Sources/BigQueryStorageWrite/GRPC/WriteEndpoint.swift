/// Where the Storage Write API is served: `https://host[:port]` (TLS, the system's trust roots; port 443 by
/// default) or `http://host:port` (plaintext gRPC, for an emulator on loopback).
public struct WriteEndpoint: Sendable, Equatable, CustomStringConvertible {
    /// BigQuery's Storage API host.
    public static let bigQuery = WriteEndpoint(host: "bigquerystorage.googleapis.com", port: 443, usesTLS: true)

    public var host: String
    public var port: Int
    public var usesTLS: Bool

    public init(host: String, port: Int, usesTLS: Bool) {
        self.host = host
        self.port = port
        self.usesTLS = usesTLS
    }

    /// Parses `https://host[:port]` or `http://host:port` (a trailing `/` allowed; no path, user or query).
    public init(url: String) throws(WriteStreamError) {
        let usesTLS: Bool
        let rest: Substring
        if url.hasPrefix("https://") {
            usesTLS = true
            rest = url.dropFirst("https://".count)
        } else if url.hasPrefix("http://") {
            usesTLS = false
            rest = url.dropFirst("http://".count)
        } else {
            throw WriteEndpoint.invalid(url, "it must start with https:// or http://")
        }
        let authority = rest.hasSuffix("/") ? rest.dropLast() : rest
        guard !authority.isEmpty, !authority.contains(where: { "/?#@ ".contains($0) }) else {
            throw WriteEndpoint.invalid(url, "it must be scheme://host[:port] with no path")
        }
        let host: Substring
        var port = usesTLS ? 443 : 80
        if authority.hasPrefix("[") {
            // An IPv6 literal: [::1]:port.
            guard let close = authority.firstIndex(of: "]") else { throw WriteEndpoint.invalid(url, "unclosed [") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let parsed = Int(after.dropFirst()) else {
                    throw WriteEndpoint.invalid(url, "bad port")
                }
                port = parsed
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            guard let parsed = Int(authority[authority.index(after: colon)...]) else {
                throw WriteEndpoint.invalid(url, "bad port")
            }
            port = parsed
        } else {
            host = authority
        }
        guard !host.isEmpty, (1...65_535).contains(port) else { throw WriteEndpoint.invalid(url, "bad host or port") }
        self.init(host: String(host), port: port, usesTLS: usesTLS)
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return (usesTLS ? "https://" : "http://") + shownHost + ":\(port)"
    }

    private static func invalid(_ url: String, _ reason: String) -> WriteStreamError {
        WriteStreamError(kind: .other, message: "invalid write endpoint '\(url)': \(reason)")
    }
}
