import Foundation

/// The token of the VM's or workload's default service account, from the Compute Engine metadata server.
/// Thread-safe.
public final class MetadataServerCredentials: AccessTokenProvider {
    public static let defaultHost = "metadata.google.internal"

    /// `http://host[:port]` of the metadata server.
    public let baseURL: String
    private let note: String?
    private let cache: TokenCache

    /// Uses `GCE_METADATA_HOST` (host[:port]) from `environment` when set, as Google's client libraries do.
    public convenience init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy()
    ) {
        self.init(host: Self.host(environment: environment), refreshPolicy: refreshPolicy)
    }

    /// `GCE_METADATA_HOST` when set, else `metadata.google.internal`.
    static func host(environment: [String: String]) -> String {
        environment["GCE_METADATA_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultHost
    }

    /// `note` explains in errors why the metadata server was chosen (credentials discovery).
    public init(host: String, refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy(), note: String? = nil) {
        self.baseURL = host.hasPrefix("http://") || host.hasPrefix("https://") ? host : "http://\(host)"
        self.note = note
        self.cache = TokenCache(policy: refreshPolicy)
    }

    public func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        try cache.token { (now) throws(CredentialsError) -> AccessToken in
            var headers = HTTPHeaders()
            headers.add(name: "Metadata-Flavor", value: "Google")
            let request = HTTPRequest(
                method: .get, url: baseURL + "/computeMetadata/v1/instance/service-accounts/default/token",
                headers: headers
            )
            return try OAuthTokenEndpoint.exchange(request, http: http, now: now, source: sourceDescription)
        }
    }

    public func invalidate() {
        cache.invalidate()
    }

    public var sourceDescription: String {
        let base = "metadata server \(baseURL) (default service account)"
        return note.map { "\(base); \($0)" } ?? base
    }
}
