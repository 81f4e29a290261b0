import BigQueryREST

extension UploaderConfiguration.CredentialsChoice {
    /// The token provider this choice stands for: what the uploader uses, and what `spoolctl doctor` checks.
    ///
    /// - Throws: `CredentialsError` for a key file that is missing, unreadable or not a key.
    public func makeProvider(endpoint: String) throws(CredentialsError) -> any AccessTokenProvider {
        switch self {
        case .automatic: try CredentialsDiscovery.discover(endpoint: endpoint)
        case .none: NoCredentials()
        case .file(let path): try CredentialsDiscovery.fromFile(path: path)
        case .provider(let provider): provider
        }
    }
}
