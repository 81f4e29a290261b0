import BigQueryREST
import Foundation
import SpoolTestSupport
import Testing

/// A stub and a client pointed at it, stopped together.
final class StubFixture {
    let stub: BigQueryStub
    let credentials: any AccessTokenProvider
    let logs = LogCapture()
    let client: BigQueryClient

    init(
        credentials: any AccessTokenProvider = FixedTokenProvider(),
        http: HTTPClient.Configuration = HTTPClient.Configuration(),
        compress: Bool = true
    ) throws {
        stub = try BigQueryStub(project: "test-project")
        self.credentials = credentials
        client = BigQueryClient(
            endpoint: stub.endpoint, project: "test-project", credentials: credentials, http: http,
            compressRequests: compress, logger: logs.logger()
        )
    }

    deinit {
        stub.stop()
    }
}

let sampleRows = [
    InsertAllRow(insertId: "id-1", json: #"{"event_id": "e1",   "n": 1}"#),
    InsertAllRow(insertId: "id-\"2\"", json: #"{"event_id":"e2","nested":{"a":[1,2,3]}}"#),
    InsertAllRow(insertId: "id-3", json: #"{"event_id":"e3","bad":true}"#),
]

extension InsertAllResult {
    var failure: RequestFailure? {
        if case .failed(let failure) = self { return failure }
        return nil
    }

    var insertErrors: [InsertErrorEntry]? {
        if case .response(_, let errors) = self { return errors }
        return nil
    }
}

@Suite struct InsertAllTests {
    @Test func theRequestCarriesRowsAsGivenInGoogleWireFormat() throws {
        let fixture = try StubFixture()
        let result = fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows, ignoreUnknownValues: true)
        #expect(result.insertErrors == [])
        let request = try #require(fixture.stub.insertAllRequests.first)
        #expect(request.method == "POST")
        #expect(request.path == "/bigquery/v2/projects/test-project/datasets/analytics/tables/events/insertAll")
        #expect(request.header("Authorization") == "Bearer fixed-test-token")
        #expect(request.header("Content-Type")?.hasPrefix("application/json") == true)
        #expect(request.header("Content-Encoding") == "gzip")
        #expect(request.wasGzipped)
        // Payloads are spliced byte for byte, insertIds JSON-escaped.
        #expect(request.bodyText == #"{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":false,"ignoreUnknownValues":true,"rows":[{"insertId":"id-1","json":{"event_id": "e1",   "n": 1}},{"insertId":"id-\"2\"","json":{"event_id":"e2","nested":{"a":[1,2,3]}}},{"insertId":"id-3","json":{"event_id":"e3","bad":true}}]}"#)
        let body = try #require(request.jsonBody() as? [String: Any])
        let rows = try #require(body["rows"] as? [[String: Any]])
        #expect(rows.map { $0["insertId"] as? String } == ["id-1", "id-\"2\"", "id-3"])
        #expect(fixture.stub.storedRows(dataset: "analytics", table: "events").count == 3)
    }

    @Test func requestsGoUncompressedWhenCompressionIsOff() throws {
        let fixture = try StubFixture(compress: false)
        _ = fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows, templateSuffix: "_20240101")
        let request = try #require(fixture.stub.insertAllRequests.first)
        #expect(!request.wasGzipped)
        #expect(request.header("Content-Encoding") == nil)
        let body = try #require(request.jsonBody() as? [String: Any])
        #expect(body["templateSuffix"] as? String == "_20240101")
    }

    @Test func invalidRowsComeBackInvalidAndTheOthersStopped() throws {
        let fixture = try StubFixture()
        fixture.stub.setRowValidator(dataset: "analytics", table: "events") { json in
            json.contains(#""bad":true"#)
                ? .init(location: "bad", message: "no such field: bad.") : nil
        }
        let result = fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows)
        let errors = try #require(result.insertErrors)
        #expect(errors == [
            InsertErrorEntry(index: 0, errors: [ErrorProto(reason: "stopped", location: "", message: "", debugInfo: "")]),
            InsertErrorEntry(index: 1, errors: [ErrorProto(reason: "stopped", location: "", message: "", debugInfo: "")]),
            InsertErrorEntry(index: 2, errors: [ErrorProto(reason: "invalid", location: "bad", message: "no such field: bad.", debugInfo: "")]),
        ])
        #expect(fixture.stub.storedRows(dataset: "analytics", table: "events").isEmpty)
    }

    @Test func repeatedInsertIdsAreStoredOnce() throws {
        let fixture = try StubFixture()
        _ = fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows)
        _ = fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows)
        #expect(fixture.stub.storedRows(dataset: "d", table: "t").count == 3)
        #expect(fixture.stub.duplicateCount(dataset: "d", table: "t") == 3)
    }

    @Test func tooManyRequestsCarriesRetryAfterInSeconds() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(GoogleErrorReply.tooManyRequests(retryAfter: "1"))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .httpError)
        #expect(failure.httpStatus == 429)
        #expect(failure.errorReason == "rateLimitExceeded")
        #expect(failure.retryAfter == .seconds(1))
    }

    @Test func retryAfterAsAnHTTPDateIsParsed() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(GoogleErrorReply.tooManyRequests(retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT"))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.retryAfter == .date(Date(timeIntervalSince1970: 1_445_412_480)))
        #expect(failure.retryAfter?.delay(from: Date(timeIntervalSince1970: 1_445_412_470)) == .seconds(10))
    }

    @Test(arguments: [500, 503])
    func serverErrorsCarryGoogleReasonAndMessage(status: Int) throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(GoogleErrorReply.backendError(status: status))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .httpError)
        #expect(failure.httpStatus == status)
        #expect(failure.errorReason == "backendError")
        #expect(failure.message.isEmpty == false)
        #expect(failure.retryAfter == nil)
    }

    @Test func errorsWithoutGoogleBodyKeepTheStatus() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.response(.text(502, "<html>Bad Gateway</html>", contentType: "text/html")))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.httpStatus == 502)
        #expect(failure.errorReason == nil)
        #expect(!failure.message.contains("Bad Gateway"))
    }

    @Test(arguments: ["rateLimitExceeded", "quotaExceeded", "accessDenied"])
    func forbiddenAnswersAreToldApartByReason(reason: String) throws {
        let fixture = try StubFixture()
        let reply: StubReply = switch reason {
        case "rateLimitExceeded": GoogleErrorReply.rateLimitExceeded()
        case "quotaExceeded": GoogleErrorReply.quotaExceeded()
        default: GoogleErrorReply.accessDenied(project: "test-project", dataset: "d", table: "t")
        }
        fixture.stub.enqueue(reply)
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.httpStatus == 403)
        #expect(failure.errorReason == reason)
    }

    @Test func aMissingTableAnswersNotFound() throws {
        let fixture = try StubFixture()
        fixture.stub.setTableMissing(dataset: "analytics", table: "events")
        let failure = try #require(fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows).failure)
        #expect(failure.httpStatus == 404)
        #expect(failure.errorReason == "notFound")
        #expect(failure.message == "Not found: Table test-project:analytics.events")
    }

    @Test func aResetConnectionIsATransportFailure() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.resetConnection)
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .transport)
        #expect(failure.transportError?.kind == .connectionReset)
        #expect(failure.httpStatus == nil)
    }

    @Test func anAnswerSlowerThanTheTimeoutIsTimedOut() throws {
        let fixture = try StubFixture(http: .init(totalTimeout: .milliseconds(300)))
        fixture.stub.enqueue(.delay(.seconds(5), then: .json(200, "{}")))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.transportError?.kind == .timedOut)
    }

    @Test(arguments: [
        "<html><body>Service Unavailable</body></html>",
        #"{"kind":"bigquery#tableDataInsertAllResponse","insertErrors":[{"index":0,"errors":[{"reason":"inv"#,
        #"{"insertErrors":[{"index":7,"errors":[]}]}"#,
        #"{"insertErrors":"nope"}"#,
        "",
        "[]",
    ])
    func anUnreadableSuccessBodyIsGarbage(body: String) throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.response(.text(200, body, contentType: "application/json")))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .garbage)
        #expect(failure.httpStatus == 200)
    }

    @Test func aSuccessAnswerCutShortIsAFailure() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.truncated(.json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#), bytes: 12))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .transport)
        #expect(failure.transportError?.kind == .connectionReset)
    }

    @Test func rawGarbageInsteadOfHTTPIsAFailure() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.raw(Array("SSH-2.0-OpenSSH_9.2\r\n".utf8)))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .transport)
    }

    @Test func anUnauthorizedAnswerRefreshesTheTokenOnceAndRetries() throws {
        let tokens = try TokenEndpointStub(configuration: .init(refreshTokens: ["refresh-1": ("client-1", "secret-1")]))
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let file = try writeJSONFile(
            ["type": "authorized_user", "client_id": "client-1", "client_secret": "secret-1", "refresh_token": "refresh-1"],
            in: directory, name: "adc.json"
        )
        let credentials = try AuthorizedUserCredentials(file: file, tokenURL: tokens.tokenURL)
        let fixture = try StubFixture(credentials: credentials)
        fixture.stub.enqueue(GoogleErrorReply.unauthorized())

        let result = fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows)
        #expect(result.insertErrors == [])
        #expect(tokens.issuedTokens == ["stub-token-1", "stub-token-2"])
        let requests = fixture.stub.insertAllRequests
        #expect(requests.map { $0.header("Authorization") } == ["Bearer stub-token-1", "Bearer stub-token-2"])
        #expect(!fixture.logs.text.contains("stub-token"))
    }

    @Test func aSecondUnauthorizedAnswerIsReturnedWithoutAThirdTry() throws {
        let provider = FixedTokenProvider()
        let fixture = try StubFixture(credentials: provider)
        fixture.stub.enqueue(GoogleErrorReply.unauthorized(), GoogleErrorReply.unauthorized())
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.httpStatus == 401)
        #expect(failure.errorReason == "authError")
        #expect(provider.invalidationCount == 1)
        #expect(fixture.stub.insertAllRequests.count == 2)
    }

    @Test func successiveRequestsShareOneConnection() throws {
        let fixture = try StubFixture()
        for _ in 0..<4 {
            _ = fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows)
        }
        #expect(fixture.stub.insertAllRequests.count == 4)
        #expect(fixture.stub.server.connectionCount == 1)
    }

    @Test(arguments: [("bad/dataset", "t"), ("d", "t?x=1"), ("d", ""), ("d", "a/../b"), ("", "t")])
    func implausibleIdsFailWithoutARequest(dataset: String, table: String) throws {
        let fixture = try StubFixture()
        let failure = try #require(fixture.client.insertAll(dataset: dataset, table: table, rows: sampleRows).failure)
        #expect(failure.kind == .invalidRequest)
        #expect(fixture.stub.requests.isEmpty)
    }

    @Test func tableIdsWithDecoratorsAndUnicodeAreEscapedInThePath() throws {
        let fixture = try StubFixture()
        _ = fixture.client.insertAll(dataset: "d", table: "ereignisse_ä$20240101", rows: sampleRows)
        let request = try #require(fixture.stub.insertAllRequests.first)
        #expect(request.path == "/bigquery/v2/projects/test-project/datasets/d/tables/ereignisse_%C3%A4%2420240101/insertAll")
        #expect(fixture.stub.storedRows(dataset: "d", table: "ereignisse_ä$20240101").count == 3)
    }

    @Test func logsNameTheTableAndStatusButNoPayloadOrToken() throws {
        let fixture = try StubFixture()
        _ = fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows)
        let text = fixture.logs.text
        #expect(text.contains("bigquery.table=analytics.events"))
        #expect(text.contains("bigquery.rows=3"))
        #expect(text.contains("http.status=200"))
        #expect(!text.contains("fixed-test-token"))
        #expect(!text.contains("e1"))
        #expect(!text.contains("id-1"))
    }

    @Test func aCredentialsFailureIsReportedWithoutSending() throws {
        let tokens = try TokenEndpointStub(configuration: .init())
        defer { tokens.stop() }
        let directory = try TemporaryDirectory()
        let file = try writeJSONFile(
            ["type": "authorized_user", "client_id": "c", "client_secret": "very-secret-value", "refresh_token": "revoked-refresh-token"],
            in: directory, name: "adc.json"
        )
        let fixture = try StubFixture(credentials: try AuthorizedUserCredentials(file: file, tokenURL: tokens.tokenURL))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .credentials)
        #expect(failure.credentialsError?.oauthError == "invalid_grant")
        #expect(fixture.stub.requests.isEmpty)
        for text in ["\(failure)", fixture.logs.text] {
            #expect(!text.contains("very-secret-value"))
            #expect(!text.contains("revoked-refresh-token"))
        }
    }
}

@Suite struct InsertAllLoggingTests {
    @Test func failuresAreLoggedByKindStatusAndReasonOnly() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(GoogleErrorReply.reply(status: 400, reason: "invalid", message: "Invalid value near e1 in row id-1"))
        let failure = try #require(fixture.client.insertAll(dataset: "analytics", table: "events", rows: sampleRows).failure)
        #expect(failure.errorReason == "invalid")
        let text = fixture.logs.text
        #expect(text.contains("bigquery.error_reason=invalid"))
        #expect(text.contains("http.status=400"))
        #expect(!text.contains("near e1"))
    }
}
