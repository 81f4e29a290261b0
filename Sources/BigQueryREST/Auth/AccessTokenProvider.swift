/// A source of OAuth 2 access tokens for BigQuery requests.
///
/// Implementations are thread-safe: one provider may be shared by the uploader thread and by commands such as
/// `spoolctl doctor`. Each caller passes its own `HTTPClient`, which belongs to the calling thread.
public protocol AccessTokenProvider: AnyObject, Sendable {
    /// A valid bearer token, from the cache when it is not about to expire; nil when requests go without
    /// authentication (an emulator).
    func accessToken(using http: HTTPClient) throws(CredentialsError) -> String?

    /// Drops the cached token so that the next `accessToken(using:)` fetches a new one (after an HTTP 401).
    func invalidate()

    /// Where the credentials come from, for logs and diagnostics. Never contains a secret.
    var sourceDescription: String { get }

    /// The key file the credentials were read from, if any (so that `spoolctl doctor` can check its mode).
    var keyFilePath: String? { get }
}

extension AccessTokenProvider {
    public var keyFilePath: String? { nil }
}
