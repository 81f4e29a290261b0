import BigQueryREST
import Foundation
import SpoolTestSupport
import Testing

@Suite struct ServiceAccountCredentialsTests {
    @Test func theKeyFileUsesGooglesPKCS8Form() throws {
        #expect(testKey.pkcs8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
    }

    @Test func aSignedAssertionIsExchangedForAToken() throws {
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let path = try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL)
        let credentials = try ServiceAccountCredentials(keyFile: path)

        #expect(try credentials.accessToken(using: HTTPClient()) == "stub-token-1")
        #expect(tokens.rejections.isEmpty)
        let claims = tokens.lastAssertionClaims
        #expect(claims["iss"] == testClientEmail)
        #expect(claims["aud"] == tokens.tokenURL)
        #expect(claims["scope"] == "https://www.googleapis.com/auth/bigquery.insertdata https://www.googleapis.com/auth/bigquery")
        let issued = try #require(claims["iat"].flatMap { Int($0) })
        let expiry = try #require(claims["exp"].flatMap { Int($0) })
        #expect(expiry - issued == 3600)
        #expect(tokens.lastAssertionHeader == ["alg": "RS256", "typ": "JWT", "kid": TestServiceAccountKey.defaultKeyID])
        let form = try #require(tokens.requests.first?.formFields())
        #expect(form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer")
        #expect(credentials.sourceDescription == "service account key file \(path) (client_email \(testClientEmail))")
    }

    @Test func aSignatureByAnotherKeyIsRejectedWithGooglesErrorCodeAlone() throws {
        let otherKey = try TestServiceAccountKey()
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: otherKey.publicKey))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let path = try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL)
        let credentials = try ServiceAccountCredentials(keyFile: path)
        let error = #expect(throws: CredentialsError.self) { try credentials.accessToken(using: HTTPClient()) }
        #expect(error?.kind == .tokenEndpointRejected)
        #expect(error?.httpStatus == 400)
        #expect(error?.oauthError == "invalid_grant")
        let description = "\(String(describing: error))"
        #expect(description.contains("HTTP 400 invalid_grant"))
        // The description is the endpoint's free text, which may echo the request: never quoted.
        #expect(!description.contains("Invalid JWT Signature."))
        let assertion = try #require(tokens.requests.first?.formFields()["assertion"])
        #expect(!description.contains(assertion))
        #expect(!description.contains(String(assertion.split(separator: ".")[2])))
        #expect(!description.contains("PRIVATE KEY"))
    }

    @Test func aCachedTokenIsReusedUntilShortlyBeforeItExpires() throws {
        let clock = ManualDateClock()
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey, expiresIn: 3600, now: clock.function))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let path = try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL)
        let credentials = try ServiceAccountCredentials(
            keyFile: path, refreshPolicy: TokenRefreshPolicy(refreshBeforeExpiry: .seconds(300), now: clock.function)
        )
        let http = HTTPClient()
        #expect(try credentials.accessToken(using: http) == "stub-token-1")
        clock.advance(by: 3200)
        #expect(try credentials.accessToken(using: http) == "stub-token-1")
        clock.advance(by: 200)
        #expect(try credentials.accessToken(using: http) == "stub-token-2")
        #expect(tokens.issuedTokens.count == 2)
        // The new assertion was issued at the injected time.
        #expect(tokens.lastAssertionClaims["iat"] == String(Int(clock.now.timeIntervalSince1970)))
    }

    @Test func invalidateForcesANewToken() throws {
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let credentials = try ServiceAccountCredentials(keyFile: try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL))
        let http = HTTPClient()
        #expect(try credentials.accessToken(using: http) == "stub-token-1")
        #expect(try credentials.accessToken(using: http) == "stub-token-1")
        credentials.invalidate()
        #expect(try credentials.accessToken(using: http) == "stub-token-2")
    }

    @Test func customScopesGoIntoTheAssertion() throws {
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey, scope: "https://www.googleapis.com/auth/cloud-platform"))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let credentials = try ServiceAccountCredentials(
            keyFile: try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL),
            scopes: ["https://www.googleapis.com/auth/cloud-platform"]
        )
        #expect(try credentials.accessToken(using: HTTPClient()) == "stub-token-1")
    }

    @Test func oneProviderServesSeveralThreadsAtOnce() async throws {
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let credentials = try ServiceAccountCredentials(keyFile: try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL))
        _ = try credentials.accessToken(using: HTTPClient())
        let results = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<4 {
                group.addTask { try credentials.accessToken(using: HTTPClient()) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(results == Array(repeating: "stub-token-1", count: 4))
        #expect(tokens.issuedTokens.count == 1)
    }
}

@Suite struct OtherCredentialsTests {
    @Test func anAuthorizedUserRefreshTokenIsExchanged() throws {
        let tokens = try TokenEndpointStub(configuration: .init(refreshTokens: ["refresh-abc": ("client-1.apps.googleusercontent.com", "secret-xyz")]))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let path = try writeJSONFile(
            ["type": "authorized_user", "client_id": "client-1.apps.googleusercontent.com", "client_secret": "secret-xyz", "refresh_token": "refresh-abc", "token_uri": tokens.tokenURL],
            in: directory, name: "application_default_credentials.json"
        )
        let credentials = try CredentialsDiscovery.fromFile(path: path)
        #expect(credentials is AuthorizedUserCredentials)
        #expect(try credentials.accessToken(using: HTTPClient()) == "stub-token-1")
        let form = try #require(tokens.requests.first?.formFields())
        #expect(form["grant_type"] == "refresh_token")
        #expect(form["refresh_token"] == "refresh-abc")
        #expect(!credentials.sourceDescription.contains("secret-xyz"))
        #expect(!credentials.sourceDescription.contains("refresh-abc"))
    }

    @Test func aRevokedRefreshTokenGivesInvalidGrantWithoutSecrets() throws {
        let tokens = try TokenEndpointStub(configuration: .init())
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let path = try writeJSONFile(
            ["type": "authorized_user", "client_id": "client-1", "client_secret": "secret-xyz", "refresh_token": "refresh-abc"],
            in: directory, name: "adc.json"
        )
        let credentials = try AuthorizedUserCredentials(file: path, tokenURL: tokens.tokenURL)
        let error = #expect(throws: CredentialsError.self) { try credentials.accessToken(using: HTTPClient()) }
        #expect(error?.kind == .tokenEndpointRejected)
        #expect(error?.oauthError == "invalid_grant")
        let description = "\(String(describing: error))"
        #expect(description.contains("HTTP 400 invalid_grant"))
        #expect(!description.contains("secret-xyz"))
        #expect(!description.contains("refresh-abc"))
    }

    @Test func theMetadataServerIsFoundThroughGCEMetadataHost() throws {
        let tokens = try TokenEndpointStub(configuration: .init(expiresIn: 1800))
        defer { tokens.stop() }
        let credentials = MetadataServerCredentials(environment: ["GCE_METADATA_HOST": tokens.metadataHost])
        #expect(try credentials.accessToken(using: HTTPClient()) == "stub-token-1")
        let request = try #require(tokens.requests.first)
        #expect(request.method == "GET")
        #expect(request.path == "/computeMetadata/v1/instance/service-accounts/default/token")
        #expect(request.header("Metadata-Flavor") == "Google")
    }

    @Test func anUnreachableMetadataServerIsATransportError() throws {
        let tokens = try TokenEndpointStub(configuration: .init())
        let host = tokens.metadataHost
        tokens.stop()
        let credentials = MetadataServerCredentials(host: host)
        let error = #expect(throws: CredentialsError.self) { try credentials.accessToken(using: HTTPClient()) }
        #expect(error?.kind == .transport)
        #expect(error?.transportError?.kind == .couldNotConnect)
    }

    @Test func noCredentialsSendsNoToken() throws {
        #expect(try NoCredentials().accessToken(using: HTTPClient()) == nil)
    }
}

@Suite struct SecretsStayOutOfLogsTests {
    @Test func aServiceAccountSessionLogsNoTokenAssertionKeyOrPayload() throws {
        let tokens = try TokenEndpointStub(configuration: .init(publicKey: testKey.publicKey))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let credentials = try ServiceAccountCredentials(keyFile: try writeServiceAccountKey(in: directory, tokenURL: tokens.tokenURL))
        let fixture = try StubFixture(credentials: credentials)
        fixture.stub.enqueue(GoogleErrorReply.unauthorized())

        let result = fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows)
        #expect(result.insertErrors == [])
        #expect(tokens.issuedTokens.count == 2)

        let logs = fixture.logs.text
        #expect(logs.contains("401"))
        let assertions = tokens.requests.compactMap { $0.formFields()["assertion"] }
        #expect(assertions.count == 2)
        let keyLines = testKey.pkcs8PEM.split(separator: "\n").filter { !$0.hasPrefix("-----") }
        for secret in tokens.issuedTokens + assertions + keyLines.map(String.init) + ["e1", "id-1"] {
            #expect(!logs.contains(secret))
            #expect(!credentials.sourceDescription.contains(secret))
        }
    }
}
