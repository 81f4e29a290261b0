/// Sends requests without an `Authorization` header: for a local emulator, which needs no authentication.
public final class NoCredentials: AccessTokenProvider {
    public init() {}

    public func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        nil
    }

    public func invalidate() {}

    public var sourceDescription: String { "no credentials (unauthenticated requests)" }
}
