import BigQueryREST
import Synchronization

/// Where the `authorization: Bearer` token of each call comes from. `fetch` runs on the calling thread before
/// the call starts; nil sends no authorization (an emulator).
public struct WriteAccessToken: Sendable {
    let fetch: @Sendable () throws(WriteStreamError) -> String?
    let invalidate: @Sendable () -> Void

    /// - Parameters:
    ///   - fetch: a valid token (from a cache when it is not about to expire), or nil for none.
    ///   - invalidate: drops a cached token after the server answered UNAUTHENTICATED.
    public init(
        fetch: @escaping @Sendable () throws(WriteStreamError) -> String?, invalidate: @escaping @Sendable () -> Void = {}
    ) {
        self.fetch = fetch
        self.invalidate = invalidate
    }

    /// No authorization metadata (an emulator).
    public static let none = WriteAccessToken(fetch: { nil })

    /// Tokens from one of Spool's credential providers (the same ones insertAll uses), fetched over an HTTP client
    /// of its own. A token endpoint that cannot be reached is transient; refused credentials are a permission
    /// problem.
    public static func provider(
        _ provider: any AccessTokenProvider, http configuration: HTTPClient.Configuration = HTTPClient.Configuration()
    ) -> WriteAccessToken {
        // HTTPClient belongs to one thread at a time; the lock makes it so when several threads append.
        let http = Mutex(HTTPClient(configuration: configuration))
        return WriteAccessToken(
            fetch: { () throws(WriteStreamError) -> String? in
                do throws(CredentialsError) {
                    return try http.withLock { client throws(CredentialsError) -> String? in
                        try provider.accessToken(using: client)
                    }
                } catch {
                    let kind: WriteStreamError.Kind = error.kind == .transport ? .transient : .permission
                    throw WriteStreamError(kind: kind, message: "no access token: \(error.message)")
                }
            },
            invalidate: { provider.invalidate() })
    }
}
