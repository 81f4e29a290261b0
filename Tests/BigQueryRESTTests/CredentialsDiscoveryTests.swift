import BigQueryREST
import Foundation
import SpoolTestSupport
import Testing

@Suite struct CredentialsDiscoveryTests {
    let production = "https://bigquery.googleapis.com"

    @Test(arguments: ["http://127.0.0.1:9050", "http://localhost:9050/", "http://[::1]:9050"])
    func aLoopbackEmulatorNeedsNoCredentials(endpoint: String) throws {
        let credentials = try CredentialsDiscovery.discover(
            endpoint: endpoint, environment: ["GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent.json"], homeDirectory: "/nonexistent"
        )
        #expect(credentials is NoCredentials)
    }

    @Test func theEnvironmentVariableComesFirst() throws {
        let home = try TemporaryDirectory()
        try writeGcloudFile(home: home)
        let keys = try TemporaryDirectory()
        let keyPath = try writeServiceAccountKey(in: keys, tokenURL: "https://oauth2.googleapis.com/token")
        let credentials = try CredentialsDiscovery.discover(
            endpoint: production, environment: ["GOOGLE_APPLICATION_CREDENTIALS": keyPath], homeDirectory: home.path
        )
        let serviceAccount = try #require(credentials as? ServiceAccountCredentials)
        #expect(serviceAccount.clientEmail == testClientEmail)
    }

    @Test func gcloudsFileInHomeComesSecond() throws {
        let home = try TemporaryDirectory()
        let path = try writeGcloudFile(home: home)
        let credentials = try CredentialsDiscovery.discover(endpoint: production, environment: ["HOME": home.path])
        #expect(credentials is AuthorizedUserCredentials)
        #expect(credentials.sourceDescription.contains(path))
    }

    @Test func cloudsdkConfigMovesGcloudsFile() throws {
        let config = try TemporaryDirectory()
        _ = try writeJSONFile(
            ["type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"], in: config,
            name: "application_default_credentials.json"
        )
        let credentials = try CredentialsDiscovery.discover(
            endpoint: production, environment: ["CLOUDSDK_CONFIG": config.path], homeDirectory: "/nonexistent"
        )
        #expect(credentials is AuthorizedUserCredentials)
    }

    @Test func theMetadataServerComesLast() throws {
        let home = try TemporaryDirectory()
        let credentials = try CredentialsDiscovery.discover(
            endpoint: production, environment: ["GCE_METADATA_HOST": "127.0.0.1:1"], homeDirectory: home.path
        )
        let metadata = try #require(credentials as? MetadataServerCredentials)
        #expect(metadata.baseURL == "http://127.0.0.1:1")
        #expect(metadata.sourceDescription.contains("GOOGLE_APPLICATION_CREDENTIALS is unset"))

        let plain = try CredentialsDiscovery.discover(endpoint: production, environment: [:], homeDirectory: home.path)
        #expect((plain as? MetadataServerCredentials)?.baseURL == "http://metadata.google.internal")
    }

    @Test func aMissingFileNamedByTheEnvironmentIsAnError() throws {
        let error = #expect(throws: CredentialsError.self) {
            try CredentialsDiscovery.discover(endpoint: production, environment: ["GOOGLE_APPLICATION_CREDENTIALS": "/nonexistent/key.json"])
        }
        #expect(error?.kind == .fileMissing)
        #expect(error?.message.contains("/nonexistent/key.json") == true)
    }

    @discardableResult
    private func writeGcloudFile(home: TemporaryDirectory) throws -> String {
        let directory = home.url.appendingPathComponent(".config/gcloud")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("application_default_credentials.json").path
        let object = ["type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "r"]
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite struct MalformedCredentialsFileTests {
    @Test func aFileThatIsNotJSONIsNamedAsSuch() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("key.json").path
        try Data("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: CredentialsError.self) { try CredentialsDiscovery.fromFile(path: path) }
        #expect(error?.kind == .notJSON)
        #expect(error?.message == "credentials file \(path) is not a JSON object")
    }

    @Test func aMissingPrivateKeyIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try writeJSONFile(
            ["type": "service_account", "client_email": testClientEmail, "token_uri": "https://oauth2.googleapis.com/token"],
            in: directory, name: "key.json"
        )
        let error = #expect(throws: CredentialsError.self) { try CredentialsDiscovery.fromFile(path: path) }
        #expect(error?.kind == .missingField)
        #expect(error?.message == "credentials file \(path) has no \"private_key\" field")
    }

    @Test func aBadPEMIsReportedWithoutItsContents() throws {
        let directory = try TemporaryDirectory()
        let secretLine = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDsecretsecret"
        let path = try writeJSONFile(
            ["type": "service_account", "client_email": testClientEmail, "private_key": "-----BEGIN PRIVATE KEY-----\n\(secretLine)\n-----END PRIVATE KEY-----\n"],
            in: directory, name: "key.json"
        )
        let error = #expect(throws: CredentialsError.self) { try CredentialsDiscovery.fromFile(path: path) }
        #expect(error?.kind == .badPrivateKey)
        #expect(!"\(String(describing: error))".contains(secretLine))
        #expect(!"\(String(describing: error))".contains("BEGIN"))
    }

    @Test func anUnsupportedTypeIsNamed() throws {
        let directory = try TemporaryDirectory()
        let path = try writeJSONFile(["type": "external_account", "audience": "x"], in: directory, name: "key.json")
        let error = #expect(throws: CredentialsError.self) { try CredentialsDiscovery.fromFile(path: path) }
        #expect(error?.kind == .unsupportedType)
        #expect(error?.message.contains("external_account") == true)
    }

    @Test func anUnreadableFileIsNamed() throws {
        let directory = try TemporaryDirectory()
        // A directory exists but cannot be read as a file.
        let error = #expect(throws: CredentialsError.self) { try CredentialsDiscovery.fromFile(path: directory.path) }
        #expect(error?.kind == .fileUnreadable)
    }
}
