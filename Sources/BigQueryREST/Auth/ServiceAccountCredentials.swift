import Foundation
import _CryptoExtras

/// A service account key file (`"type": "service_account"`): signs an RS256 JWT with the key and exchanges it
/// at the key's `token_uri` for an access token, cached until shortly before it expires. Thread-safe.
public final class ServiceAccountCredentials: AccessTokenProvider {
    /// Scopes that allow streaming inserts and reading table metadata.
    public static let defaultScopes = [
        "https://www.googleapis.com/auth/bigquery.insertdata",
        "https://www.googleapis.com/auth/bigquery",
    ]

    public let clientEmail: String
    public let tokenURI: String
    public let scopes: [String]
    private let keyID: String?
    private let privateKey: _RSA.Signing.PrivateKey
    public let keyFilePath: String?
    private let cache: TokenCache

    /// Reads and checks a key file. The private key is parsed now, so a bad key fails here and not later.
    public convenience init(
        keyFile path: String, scopes: [String] = defaultScopes, refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy()
    ) throws(CredentialsError) {
        try self.init(file: CredentialsFile.read(path: path), scopes: scopes, refreshPolicy: refreshPolicy)
    }

    package init(file: CredentialsFile, scopes: [String], refreshPolicy: TokenRefreshPolicy) throws(CredentialsError) {
        self.clientEmail = try file.requiredString("client_email")
        let pem = try file.requiredString("private_key")
        self.keyID = file.optionalString("private_key_id")
        self.tokenURI = file.optionalString("token_uri") ?? "https://oauth2.googleapis.com/token"
        self.scopes = scopes
        self.keyFilePath = file.path
        do {
            self.privateKey = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            // The parser's error text is not repeated: it could quote part of the key.
            throw CredentialsError(
                .badPrivateKey,
                "credentials file \(file.path): \"private_key\" is not a PEM RSA private key of at least 2048 bits"
            )
        }
        self.cache = TokenCache(policy: refreshPolicy)
    }

    public func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        try cache.token { (now) throws(CredentialsError) -> AccessToken in
            let assertion = try JSONWebToken.assertion(
                keyID: keyID, issuer: clientEmail, scope: scopes.joined(separator: " "), audience: tokenURI,
                issuedAt: now, lifetime: 3600, key: privateKey
            )
            return try OAuthTokenEndpoint.requestToken(
                url: tokenURI,
                form: [("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)],
                http: http, now: now, source: sourceDescription
            )
        }
    }

    public func invalidate() {
        cache.invalidate()
    }

    public var sourceDescription: String {
        "service account key file \(keyFilePath ?? "") (client_email \(clientEmail))"
    }
}
