import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// Credentials never reach a log line or an error description, even when everything fails around them.
    @Suite("Secrets stay out of logs and errors")
    struct SecurityTests {
        /// A service-account key file whose token_uri is a token endpoint stub, and a BigQuery stub with the search table.
        static func keyTokenEndpointAndBigQuery() throws -> (TemporaryDirectory, TestServiceAccountKey, TokenEndpointStub, String, BigQueryStub) {
            let directory = try TemporaryDirectory()
            let key = try TestServiceAccountKey()
            let tokens = try TokenEndpointStub(configuration: .init(publicKey: key.publicKey))
            let keyPath = try key.writeKeyFile(in: directory, tokenURL: tokens.tokenURL)
            let stub = try BigQueryStub()
            stub.createTable(dataset: "analytics", table: "user_search_events", schemaFields: #"[{"name":"event_id","type":"STRING"}]"#)
            return (directory, key, tokens, keyPath, stub)
        }

        @Test("an uploader run with a service-account key logs no token, assertion or key material, through 401s and failures")
        func credentialsAreNeverLogged() throws {
            let (directory, key, tokens, keyPath, stub) = try Self.keyTokenEndpointAndBigQuery()
            defer { tokens.stop(); stub.stop() }
            // Only the last token handed out is good: a 401 makes the uploader refresh it.
            stub.requireAuthorization { token in token != nil && token == tokens.issuedTokens.last }
            stub.enqueue(
                GoogleErrorReply.unauthorized(), GoogleErrorReply.backendError(status: 503),
                .response(.text(200, "<html>sign in</html>", contentType: "text/html")), .resetConnection
            )
            let capture = LogCapture()
            var spoolConfiguration = Spool.Configuration()
            spoolConfiguration.logger = capture.logger()
            let spool = try Spool(path: directory.file("spool.db").path, configuration: spoolConfiguration)
            defer { spool.close() }
            for index in 0..<50 {
                try spool.append(json: #"{"event_id":"sec-\#(index)"}"#, to: "user_search_events")
            }
            var configuration = quickUploaderConfiguration()
            configuration.credentials = .file(keyPath)
            configuration.logger = capture.logger()
            configuration.batchRows = 10
            let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint), configuration: configuration)
            let outcome = try uploader.drain(timeout: .seconds(30))
            // And a failing token endpoint: its error text is checked too.
            tokens.enqueue(GoogleErrorReply.reply(status: 400, reason: "invalid_grant", message: "Invalid JWT Signature."))
            let failing = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint), configuration: configuration)
            try spool.append(json: #"{"event_id":"sec-late"}"#, to: "user_search_events")
            _ = try? failing.drain(timeout: .seconds(3))

            #expect(outcome.report.delivered == 50)
            #expect(!tokens.issuedTokens.isEmpty)
            let assertions = tokens.requests.compactMap { $0.formFields()["assertion"] }
            #expect(!assertions.isEmpty)
            let pemLines = key.pkcs8PEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.map(String.init)
            var secrets = tokens.issuedTokens + assertions + pemLines
            secrets.append(String(key.pkcs8PEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()))
            let status = try spool.status()
            let haystack = ([capture.text, uploader.credentialsDescription, failing.credentialsDescription]
                + status.tables.compactMap(\.lastError) + (try spool.deadLetters()).map(\.message)).joined(separator: "\n")
            #expect(capture.entries.count > 3, "the run logged something to search")
            for secret in secrets where secret.count >= 16 {
                #expect(!haystack.contains(secret), "a secret (\(secret.prefix(6))…) appears in a log line or error")
            }
            #expect(!haystack.contains("BEGIN PRIVATE KEY"))
        }

        @Test("a token endpoint that echoes the grant and tokens in its answer: status, logs and errors keep only status, code and host")
        func tokenEndpointAnswersAreRedacted() throws {
            let (directory, _, tokens, keyPath, stub) = try Self.keyTokenEndpointAndBigQuery()
            defer { tokens.stop(); stub.stop() }
            let echoed = [
                "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJzcG9vbCJ9.c2lnbmF0dXJlLWJ5dGVz", "1//0gLrefresh-token-secret", "ya29.a0AfH6SMBsecret-access-token",
                "client-secret-GOCSPX-abcdef",
            ]
            // An endpoint that quotes the request back, once in error_description and once in the error code itself.
            tokens.enqueue(
                .json(400, #"{"error":"invalid_grant","error_description":"bad grant: assertion=\#(echoed[0])&refresh_token=\#(echoed[1]) \#(echoed[2]) \#(echoed[3])"}"#),
                .json(401, #"{"error":"\#(echoed[2])","error_description":"\#(echoed[1])"}"#)
            )
            let capture = LogCapture()
            var spoolConfiguration = Spool.Configuration()
            spoolConfiguration.logger = capture.logger()
            let spool = try Spool(path: directory.file("spool.db").path, configuration: spoolConfiguration)
            defer { spool.close() }
            try spool.append(json: #"{"event_id":"e1"}"#, to: "user_search_events")
            var configuration = quickUploaderConfiguration()
            configuration.credentials = .file(keyPath)
            configuration.logger = capture.logger()
            var errors: [String] = []
            for _ in 0..<2 {
                let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint), configuration: configuration)
                do {
                    _ = try uploader.drain(timeout: .seconds(2))
                } catch {
                    errors.append(error.message)
                }
            }
            #expect(tokens.pendingScriptedReplies == 0, "both answers were read")
            let lastErrors = try spool.status().tables.compactMap(\.lastError)
            let haystack = ([capture.text] + lastErrors + errors).joined(separator: "\n")
            for secret in echoed {
                #expect(!haystack.contains(secret), "\(secret.prefix(8))… was printed, logged or stored")
            }
            // What helps the operator stays: the status, Google's code and the endpoint's origin (not its path).
            #expect(haystack.contains("token endpoint http://127.0.0.1:\(tokens.server.port) for service account key file"), "\(haystack)")
            #expect(haystack.contains("answered HTTP 400 invalid_grant"), "\(haystack)")
            #expect(haystack.contains("answered HTTP 401"), "\(haystack)")
            #expect(!haystack.contains(tokens.tokenURL))
        }

        @Test("spool files are created with mode 0600")
        func spoolFilesAreOwnerOnly() throws {
            let directory = try TemporaryDirectory()
            let path = directory.file("spool.db").path
            let spool = try Spool(path: path)
            defer { spool.close() }
            try spool.append(json: #"{"event_id":"m"}"#, to: "user_search_events")
            for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
                let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue ?? -1
                #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
            }
        }
    }
}
