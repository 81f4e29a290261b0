import BigQueryREST

extension UploaderConfiguration.CredentialsChoice {
    /// The token provider this choice stands for: what the uploader uses, and what `spoolctl doctor` checks.
    ///
    /// - Throws: `CredentialsError` for a key file that is missing, unreadable or not a key.
    public func makeProvider(endpoint: String) throws(CredentialsError) -> any AccessTokenProvider {
        // The one way from a choice to a provider: the uploader, `doctor`, `tables create` and `schema fetch` use it.
        switch self {
        case .automatic: try CredentialsDiscovery.discover(endpoint: endpoint)
        case .none: NoCredentials()
        case .file(let path): try CredentialsDiscovery.fromFile(path: path)
        case .provider(let provider): provider
        }
    }
}

extension SpoolError {
    /// A credentials failure as a `SpoolError`: code `.credentials`, the `CredentialsError` as `underlying`. The
    /// message is the credentials error's own, which never holds a key, a token or a secret.
    package init(_ error: CredentialsError) {
        self.init(.credentials, "BigQuery credentials: \(error.message)", underlying: error)
    }
}
