import Foundation
import Synchronization
import _CryptoExtras

/// An OAuth 2 token endpoint and a metadata server on loopback.
///
/// `POST /token` accepts a JWT bearer assertion (verifying its RS256 signature with the configured public
/// key and its iss, aud, scope, iat and exp claims) or a refresh token grant. `GET
/// /computeMetadata/v1/instance/service-accounts/default/token` answers when `Metadata-Flavor: Google` is
/// sent. Every token issued is new: `stub-token-1`, `stub-token-2` …
public final class TokenEndpointStub: Sendable {
    public struct Configuration: Sendable {
        /// Verifies assertions; nil refuses every jwt-bearer grant.
        public var publicKey: _RSA.Signing.PublicKey?
        /// The expected `iss`: the service account's client_email.
        public var clientEmail: String
        /// The expected `scope` claim, space-separated.
        public var scope: String
        /// `expires_in` of every issued token, in seconds.
        public var expiresIn: Int
        /// Accepted refresh tokens, each with its client id and secret.
        public var refreshTokens: [String: (clientID: String, clientSecret: String)]
        /// The clock against which iat and exp are checked.
        public var now: @Sendable () -> Date

        public init(
            publicKey: _RSA.Signing.PublicKey? = nil,
            clientEmail: String = "spool-test@test-project.iam.gserviceaccount.com",
            scope: String = "https://www.googleapis.com/auth/bigquery.insertdata https://www.googleapis.com/auth/bigquery",
            expiresIn: Int = 3600,
            refreshTokens: [String: (clientID: String, clientSecret: String)] = [:],
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.publicKey = publicKey
            self.clientEmail = clientEmail
            self.scope = scope
            self.expiresIn = expiresIn
            self.refreshTokens = refreshTokens
            self.now = now
        }
    }

    private struct State {
        var issuedTokens: [String] = []
        var lastClaims: [String: String] = [:]
        var lastHeader: [String: String] = [:]
        var rejections: [String] = []
        var script: [StubReply] = []
    }

    public let configuration: Configuration
    private let state = Mutex(State())
    private let serverBox = Mutex<LoopbackHTTPServer?>(nil)

    public init(configuration: Configuration) throws {
        self.configuration = configuration
        let server = try LoopbackHTTPServer { [weak self] request in
            self?.answer(request) ?? .resetConnection
        }
        serverBox.withLock { $0 = server }
    }

    public var server: LoopbackHTTPServer { serverBox.withLock { $0! } }

    /// The token endpoint's URL, for a key file's `token_uri`.
    public var tokenURL: String { server.baseURL + "/token" }

    /// `127.0.0.1:PORT`, for `GCE_METADATA_HOST`.
    public var metadataHost: String { "127.0.0.1:\(server.port)" }

    /// Every access token issued, in order.
    public var issuedTokens: [String] { state.withLock { $0.issuedTokens } }

    /// The claims of the last verified assertion, values as text.
    public var lastAssertionClaims: [String: String] { state.withLock { $0.lastClaims } }

    /// The JOSE header of the last verified assertion.
    public var lastAssertionHeader: [String: String] { state.withLock { $0.lastHeader } }

    /// Why requests were refused (error descriptions), in order.
    public var rejections: [String] { state.withLock { $0.rejections } }

    public var requests: [ReceivedRequest] { server.requests }

    /// Queues replies that the next requests get instead of the normal answer.
    public func enqueue(_ replies: StubReply...) {
        state.withLock { $0.script.append(contentsOf: replies) }
    }

    /// Scripted answers not yet given.
    public var pendingScriptedReplies: Int { state.withLock { $0.script.count } }

    public func stop() {
        server.stop()
    }

    private func answer(_ request: ReceivedRequest) -> StubReply {
        if let scripted = state.withLock({ $0.script.isEmpty ? nil : $0.script.removeFirst() }) {
            return scripted
        }
        switch (request.method, request.path) {
        case ("POST", "/token"):
            let form = request.formFields()
            switch form["grant_type"] {
            case "urn:ietf:params:oauth:grant-type:jwt-bearer":
                return verifyAssertion(form["assertion"] ?? "")
            case "refresh_token":
                guard let refreshToken = form["refresh_token"], let client = configuration.refreshTokens[refreshToken],
                    client.clientID == form["client_id"], client.clientSecret == form["client_secret"]
                else {
                    return reject("invalid_grant", "Token has been expired or revoked.")
                }
                return issueToken()
            default:
                return reject("unsupported_grant_type", "Invalid grant_type.")
            }
        case ("GET", "/computeMetadata/v1/instance/service-accounts/default/token"):
            guard request.header("Metadata-Flavor") == "Google" else {
                return .response(.text(403, "Missing Metadata-Flavor:Google header.", contentType: "text/html"))
            }
            return issueToken()
        default:
            return .response(.text(404, "Not Found"))
        }
    }

    private func verifyAssertion(_ assertion: String) -> StubReply {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerData = Self.base64URLDecode(parts[0]), let claimsData = Self.base64URLDecode(parts[1]),
            let signature = Self.base64URLDecode(parts[2]),
            let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
            let claims = (try? JSONSerialization.jsonObject(with: claimsData)) as? [String: Any]
        else {
            return reject("invalid_grant", "Invalid JWT: not a JWS compact serialization.")
        }
        guard header["alg"] as? String == "RS256", header["typ"] as? String == "JWT" else {
            return reject("invalid_grant", "Invalid JWT: unsupported header.")
        }
        guard let publicKey = configuration.publicKey,
            publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature), for: Data("\(parts[0]).\(parts[1])".utf8),
                padding: .insecurePKCS1v1_5
            )
        else {
            return reject("invalid_grant", "Invalid JWT Signature.")
        }
        let now = configuration.now().timeIntervalSince1970
        guard claims["iss"] as? String == configuration.clientEmail else {
            return reject("invalid_grant", "Invalid JWT: iss is not the service account.")
        }
        guard claims["aud"] as? String == tokenURL else {
            return reject("invalid_grant", "Invalid JWT: aud is not this token endpoint.")
        }
        guard claims["scope"] as? String == configuration.scope else {
            return reject("invalid_scope", "Invalid JWT: unexpected scope.")
        }
        guard let issuedAt = (claims["iat"] as? NSNumber)?.doubleValue,
            let expiry = (claims["exp"] as? NSNumber)?.doubleValue,
            expiry > issuedAt, expiry - issuedAt <= 3600, issuedAt <= now + 60, expiry > now
        else {
            return reject("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
        }
        state.withLock { state in
            state.lastClaims = claims.mapValues { "\($0)" }
            state.lastHeader = header.mapValues { "\($0)" }
        }
        return issueToken()
    }

    private func issueToken() -> StubReply {
        let token = state.withLock { state in
            let token = "stub-token-\(state.issuedTokens.count + 1)"
            state.issuedTokens.append(token)
            return token
        }
        return .json(200, #"{"access_token":"\#(token)","expires_in":\#(configuration.expiresIn),"token_type":"Bearer"}"#)
    }

    private func reject(_ error: String, _ description: String) -> StubReply {
        state.withLock { $0.rejections.append(description) }
        return .json(400, #"{"error":"\#(error)","error_description":"\#(description)"}"#)
    }

    private static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64.append("=") }
        return Data(base64Encoded: base64)
    }
}
