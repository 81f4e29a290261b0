/// Why no access token could be had. Messages name files, fields and Google's error codes, never a token,
/// an assertion, a private key or a client secret.
public struct CredentialsError: Error, CustomStringConvertible, Sendable {
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case fileMissing, fileUnreadable, notJSON, missingField, unsupportedType, badPrivateKey
            case signingFailed, tokenEndpointRejected, invalidTokenResponse, transport
        }

        private let code: Code

        /// The credentials file does not exist.
        public static let fileMissing = Kind(code: .fileMissing)
        /// The credentials file exists but could not be read.
        public static let fileUnreadable = Kind(code: .fileUnreadable)
        /// The credentials file is not a JSON object.
        public static let notJSON = Kind(code: .notJSON)
        /// A required field of the credentials file is missing or empty.
        public static let missingField = Kind(code: .missingField)
        /// The credentials file's `type` is neither `service_account` nor `authorized_user`.
        public static let unsupportedType = Kind(code: .unsupportedType)
        /// The service account's `private_key` is not a PEM RSA private key.
        public static let badPrivateKey = Kind(code: .badPrivateKey)
        /// Signing the JWT assertion failed.
        public static let signingFailed = Kind(code: .signingFailed)
        /// The token endpoint answered with an HTTP error (see `httpStatus` and `oauthError`).
        public static let tokenEndpointRejected = Kind(code: .tokenEndpointRejected)
        /// The token endpoint answered 2xx without a usable `access_token`.
        public static let invalidTokenResponse = Kind(code: .invalidTokenResponse)
        /// The token endpoint could not be reached (see `transportError`).
        public static let transport = Kind(code: .transport)

        public var description: String {
            switch code {
            case .fileMissing: "fileMissing"
            case .fileUnreadable: "fileUnreadable"
            case .notJSON: "notJSON"
            case .missingField: "missingField"
            case .unsupportedType: "unsupportedType"
            case .badPrivateKey: "badPrivateKey"
            case .signingFailed: "signingFailed"
            case .tokenEndpointRejected: "tokenEndpointRejected"
            case .invalidTokenResponse: "invalidTokenResponse"
            case .transport: "transport"
            }
        }
    }

    public let kind: Kind
    /// A sentence that says what is wrong and where.
    public let message: String
    /// The token endpoint's HTTP status, for `.tokenEndpointRejected`.
    public let httpStatus: Int?
    /// The OAuth `error` code of the token endpoint's answer (`invalid_grant`, `invalid_client` …).
    public let oauthError: String?
    /// For `.transport`.
    public let transportError: HTTPClientError?

    package init(
        _ kind: Kind, _ message: String, httpStatus: Int? = nil, oauthError: String? = nil,
        transportError: HTTPClientError? = nil
    ) {
        self.kind = kind
        self.message = message
        self.httpStatus = httpStatus
        self.oauthError = oauthError
        self.transportError = transportError
    }

    public var description: String { "credentials error (\(kind)): \(message)" }
}
