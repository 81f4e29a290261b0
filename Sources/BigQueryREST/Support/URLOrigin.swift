import Foundation

/// What of a URL may be shown: scheme, host and port. A user name, password, path or query may carry a secret
/// (`http://user:pass@host`, a key file's token_uri), so messages show the origin only.
package enum URLOrigin {
    package static func of(_ url: String) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host, !host.isEmpty else {
            return "(a malformed URL)"
        }
        let port = components.port.map { ":\($0)" } ?? ""
        return "\(scheme)://\(host)\(port)"
    }

    /// True when the URL names a user or password (user-info), which Spool never sends nor shows.
    package static func hasUserInfo(_ url: String) -> Bool {
        guard let components = URLComponents(string: url) else { return url.contains("@") }
        return components.user != nil || components.password != nil
    }
}
