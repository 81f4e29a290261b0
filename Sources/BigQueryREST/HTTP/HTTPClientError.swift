import CCurl

/// Why a request got no HTTP answer. Carries libcurl's own words, never request or response headers or bodies.
public struct HTTPClientError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The broad class of failure, for callers that decide whether to retry.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Code: Hashable, Sendable {
            case couldNotConnect, timedOut, connectionReset, tls, invalidURL, responseTooLarge, other
        }

        private let code: Code

        /// DNS resolution or the TCP connection failed (refused, unreachable, proxy not found).
        public static let couldNotConnect = Kind(code: .couldNotConnect)
        /// The connect or total timeout elapsed.
        public static let timedOut = Kind(code: .timedOut)
        /// The connection broke while sending or receiving, or closed before the whole answer arrived.
        public static let connectionReset = Kind(code: .connectionReset)
        /// The TLS handshake or the peer's certificate verification failed.
        public static let tls = Kind(code: .tls)
        /// The URL is malformed or not http/https.
        public static let invalidURL = Kind(code: .invalidURL)
        /// The answer's body exceeded `HTTPClient.Configuration.maximumResponseBodySize`.
        public static let responseTooLarge = Kind(code: .responseTooLarge)
        public static let other = Kind(code: .other)

        public var description: String {
            switch code {
            case .couldNotConnect: "couldNotConnect"
            case .timedOut: "timedOut"
            case .connectionReset: "connectionReset"
            case .tls: "tls"
            case .invalidURL: "invalidURL"
            case .responseTooLarge: "responseTooLarge"
            case .other: "other"
            }
        }
    }

    public let kind: Kind
    /// libcurl's CURLcode, or 0 when the failure was detected before libcurl ran.
    public let curlCode: Int
    /// libcurl's explanation: `curl_easy_strerror` plus the handle's error buffer.
    public let message: String

    package init(kind: Kind, curlCode: Int, message: String) {
        self.kind = kind
        self.curlCode = curlCode
        self.message = message
    }

    public var description: String {
        curlCode == 0 ? "HTTP \(kind): \(message)" : "HTTP \(kind) (curl \(curlCode)): \(message)"
    }

    /// Sorts a CURLcode into a kind.
    static func kind(for code: CURLcode) -> Kind {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            .couldNotConnect
        case CURLE_OPERATION_TIMEDOUT:
            .timedOut
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
            CURLE_HTTP2, CURLE_HTTP2_STREAM:
            .connectionReset
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CRL_BADFILE, CURLE_USE_SSL_FAILED,
            CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED:
            .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            .invalidURL
        default:
            .other
        }
    }
}
