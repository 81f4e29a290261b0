import Foundation

/// Finds credentials the way Google's client libraries do (Application Default Credentials).
public enum CredentialsDiscovery {
    /// In order: no credentials for a loopback `http` endpoint (an emulator); the file named by
    /// `GOOGLE_APPLICATION_CREDENTIALS`; gcloud's `application_default_credentials.json` (in `CLOUDSDK_CONFIG`
    /// or `~/.config/gcloud`); the metadata server. Files are read and checked now; the metadata server is
    /// only contacted when a token is first needed.
    ///
    /// - Parameter homeDirectory: defaults to `HOME` from `environment`, then the user's home directory.
    public static func discover(
        endpoint: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        homeDirectory: String? = nil,
        scopes: [String] = ServiceAccountCredentials.defaultScopes,
        refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy()
    ) throws(CredentialsError) -> any AccessTokenProvider {
        if isLoopbackHTTP(endpoint) {
            return NoCredentials()
        }
        if let path = environment["GOOGLE_APPLICATION_CREDENTIALS"], !path.isEmpty {
            return try fromFile(path: path, scopes: scopes, refreshPolicy: refreshPolicy)
        }
        let gcloudFile = gcloudCredentialsPath(environment: environment, homeDirectory: homeDirectory)
        if FileManager.default.fileExists(atPath: gcloudFile) {
            return try fromFile(path: gcloudFile, scopes: scopes, refreshPolicy: refreshPolicy)
        }
        return MetadataServerCredentials(
            host: MetadataServerCredentials.host(environment: environment), refreshPolicy: refreshPolicy,
            note: "chosen because GOOGLE_APPLICATION_CREDENTIALS is unset and \(gcloudFile) does not exist"
        )
    }

    /// A service account key file or an authorized_user file, told apart by its `type`.
    public static func fromFile(
        path: String,
        scopes: [String] = ServiceAccountCredentials.defaultScopes,
        refreshPolicy: TokenRefreshPolicy = TokenRefreshPolicy()
    ) throws(CredentialsError) -> any AccessTokenProvider {
        let file = try CredentialsFile.read(path: path)
        let type = try file.type()
        switch type {
        case "service_account":
            return try ServiceAccountCredentials(file: file, scopes: scopes, refreshPolicy: refreshPolicy)
        case "authorized_user":
            return try AuthorizedUserCredentials(file: file, tokenURL: nil, refreshPolicy: refreshPolicy)
        default:
            throw CredentialsError(
                .unsupportedType,
                "credentials file \(path) has type \"\(type.prefix(40))\"; supported: service_account, authorized_user"
            )
        }
    }

    /// True for `http://` URLs on 127.0.0.0/8, `localhost` or `[::1]`: an emulator, which needs no token.
    public static func isLoopbackHTTP(_ endpoint: String) -> Bool {
        guard let components = URLComponents(string: endpoint), components.scheme?.lowercased() == "http",
            let host = components.host?.lowercased()
        else { return false }
        return host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    private static func gcloudCredentialsPath(environment: [String: String], homeDirectory: String?) -> String {
        if let configDirectory = environment["CLOUDSDK_CONFIG"], !configDirectory.isEmpty {
            return (configDirectory as NSString).appendingPathComponent("application_default_credentials.json")
        }
        let home = homeDirectory ?? environment["HOME"] ?? FileManager.default.homeDirectoryForCurrentUser.path
        return (home as NSString).appendingPathComponent(".config/gcloud/application_default_credentials.json")
    }
}
