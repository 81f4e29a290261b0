import BigQueryREST
import Foundation
import SpoolTestSupport
import Synchronization

let testClientEmail = TestServiceAccountKey.defaultClientEmail

/// One RSA key for the whole test run: generating 2048-bit keys is slow.
let testKey = try! TestServiceAccountKey()

func writeServiceAccountKey(in directory: TemporaryDirectory, tokenURL: String) throws -> String {
    try testKey.writeKeyFile(in: directory, tokenURL: tokenURL)
}

func writeJSONFile(_ object: [String: Any], in directory: TemporaryDirectory, name: String) throws -> String {
    let path = directory.file(name).path
    try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
    return path
}

/// A fixed token, counting how often it was asked for and invalidated.
final class FixedTokenProvider: AccessTokenProvider {
    private let counters = Mutex((requests: 0, invalidations: 0))
    let token: String

    init(token: String = "fixed-test-token") {
        self.token = token
    }

    var requestCount: Int { counters.withLock { $0.requests } }
    var invalidationCount: Int { counters.withLock { $0.invalidations } }

    func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        counters.withLock { $0.requests += 1 }
        return token
    }

    func invalidate() {
        counters.withLock { $0.invalidations += 1 }
    }

    var sourceDescription: String { "fixed test token" }
}

