import Foundation

/// gcloud's user credentials (`"type": "authorized_user"`, written by
/// `gcloud auth application-default login`): a refresh token exchanged for access tokens. Thread-safe.
public final class AuthorizedUserCredentials: AccessTokenProvider {
    public static let defaultTokenURL = "https://oauth2.googleapis.com/token"

    public let clientID: String
    public let tokenURL: String
    private let clientSecret: String
    private let refreshToken: String
    private let filePath: String

    public var keyFilePath: String? { filePath }
    private let cache: TokenCache

    /// Reads a credentials file. `tokenURL` overrides the file's `token_uri` and Google's default endpoint.
    public convenience init(
        file path: String, tokenURL: String? = nil, refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy()
    ) throws(CredentialsError) {
        try self.init(file: CredentialsFile.read(path: path), tokenURL: tokenURL, refreshPolicy: refreshPolicy)
    }

    package init(file: CredentialsFile, tokenURL: String?, refreshPolicy: TokenRefreshPolicy) throws(CredentialsError) {
        self.clientID = try file.requiredString("client_id")
        self.clientSecret = try file.requiredString("client_secret")
        self.refreshToken = try file.requiredString("refresh_token")
        self.tokenURL = tokenURL ?? file.optionalString("token_uri") ?? Self.defaultTokenURL
        self.filePath = file.path
        self.cache = TokenCache(policy: refreshPolicy)
    }

    public func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        try cache.token { (now) throws(CredentialsError) -> AccessToken in
            try OAuthTokenEndpoint.requestToken(
                url: tokenURL,
                form: [
                    ("grant_type", "refresh_token"), ("client_id", clientID), ("client_secret", clientSecret),
                    ("refresh_token", refreshToken),
                ],
                http: http, now: now, source: sourceDescription
            )
        }
    }

    public func invalidate() {
        cache.invalidate()
    }

    public var sourceDescription: String {
        "authorized_user credentials file \(filePath) (client_id \(clientID))"
    }
}
