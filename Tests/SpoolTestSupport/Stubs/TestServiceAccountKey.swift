import Foundation
import _CryptoExtras

/// A freshly generated RSA key and the service account key file that carries it, written as Google's
/// console writes them (PKCS#8 `-----BEGIN PRIVATE KEY-----`).
public struct TestServiceAccountKey: Sendable {
    public static let defaultClientEmail = "spool-test@test-project.iam.gserviceaccount.com"
    public static let defaultKeyID = "0123456789abcdef"

    public let privateKey: _RSA.Signing.PrivateKey

    /// Generates a 2048-bit key; this takes a noticeable fraction of a second, so share one per test run.
    public init() throws {
        privateKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    }

    public var publicKey: _RSA.Signing.PublicKey { privateKey.publicKey }

    /// The PEM form Google's key files use.
    public var pkcs8PEM: String { privateKey.pkcs8PEMRepresentation }

    /// Writes a `service_account` key file into `directory` and returns its path.
    public func writeKeyFile(
        in directory: TemporaryDirectory, tokenURL: String, clientEmail: String = defaultClientEmail,
        keyID: String = defaultKeyID, name: String = "service-account.json"
    ) throws -> String {
        let object: [String: Any] = [
            "type": "service_account",
            "project_id": "test-project",
            "private_key_id": keyID,
            "private_key": pkcs8PEM + "\n",
            "client_email": clientEmail,
            "client_id": "100000000000000000000",
            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
            "token_uri": tokenURL,
        ]
        let path = directory.file(name).path
        try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
        // Owner-only, as a key should be kept (`spoolctl doctor` fails on a key others can read).
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        return path
    }
}
