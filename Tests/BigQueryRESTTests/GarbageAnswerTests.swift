import BigQueryREST
import Foundation
import SpoolJSON
import SpoolTestSupport
import Testing

/// Answers that are not what BigQuery (or a token endpoint) sends are read by SpoolJSON's strict parser: each one
/// gives a typed failure, none crashes, none passes for success.
@Suite struct GarbageAnswerTests {
    /// An answer's body, named in test output (some are long, some are not UTF-8).
    struct Body: Sendable, CustomTestStringConvertible {
        let name: String
        let bytes: [UInt8]

        init(_ name: String, _ bytes: [UInt8]) {
            self.name = name
            self.bytes = bytes
        }

        init(_ text: String) {
            self.init(text, Array(text.utf8))
        }

        var testDescription: String { name }
    }

    /// Bodies no 2xx answer of any call may be read from.
    static let garbageBodies: [Body] = [
        Body("<html><body>Service Unavailable</body></html>"),
        Body(#"{"kind":"bigquery#table","schema":{"fields":[{"name":"#),
        Body(""),
        Body("   "),
        Body("[]"),
        Body(#""a string""#),
        Body("null"),
        Body("{} {}"),
        Body(#"{"a":1,}"#),
        Body(#"{"a":"\ud800"}"#),
        Body(#"{"a":"\x"}"#),
        Body("{\"a\":\"tab\tinside\"}"),
        Body(#"{"a":01}"#),
        Body("invalid UTF-8", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D]),
        Body("an encoded surrogate", [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D]),
        Body("UTF-16", [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00]),
        Body("100,000 open brackets", Array(String(repeating: "[", count: 100_000).utf8)),
        Body(
            "600 levels of nesting",
            Array(("{\"a\":" + String(repeating: "[", count: 600) + String(repeating: "]", count: 600) + "}").utf8)
        ),
    ]

    private static func answering(_ body: Body, status: Int = 200) throws -> StubFixture {
        let fixture = try StubFixture()
        fixture.stub.enqueue(.response(StubResponse(
            status: status, headers: [(name: "Content-Type", value: "application/json")], body: body.bytes
        )))
        return fixture
    }

    @Test("insertAll reads no garbage 2xx answer as rows stored", arguments: garbageBodies)
    func insertAllAnswer(body: Body) throws {
        let fixture = try Self.answering(body)
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .garbage)
        #expect(failure.httpStatus == 200)
    }

    @Test(
        "insertAll's insertErrors must name rows of the request with well-formed entries",
        arguments: [
            #"{"insertErrors":[{"index":-1,"errors":[]}]}"#,
            #"{"insertErrors":[{"index":3,"errors":[]}]}"#,
            #"{"insertErrors":[{"index":0.5,"errors":[]}]}"#,
            #"{"insertErrors":[{"index":1e999,"errors":[]}]}"#,
            #"{"insertErrors":[{"index":"zero","errors":[]}]}"#,
            #"{"insertErrors":[{"index":true,"errors":[]}]}"#,
            #"{"insertErrors":[{"errors":[]}]}"#,
            #"{"insertErrors":[{"index":0,"errors":{"reason":"invalid"}}]}"#,
            #"{"insertErrors":[{"index":0,"errors":["invalid"]}]}"#,
            #"{"insertErrors":[7]}"#,
            #"{"insertErrors":{}}"#,
            #"{"insertErrors":null}"#,
        ])
    func insertAllErrorEntries(body: String) throws {
        let fixture = try Self.answering(Body(body))
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .garbage)
    }

    @Test("insertAll reads indexes as BigQuery writes them (numbers, or int64 strings) and tolerates missing fields")
    func insertAllLenientEntries() throws {
        let fixture = try Self.answering(Body(
            #"{"insertErrors":[{"index":0,"errors":[{"reason":"invalid","location":"n","message":"bad","debugInfo":"x"}]},{"index":"2"},{"index":1.0,"errors":[{}]}]}"#
        ))
        let errors = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).insertErrors)
        #expect(errors == [
            InsertErrorEntry(index: 0, errors: [ErrorProto(reason: "invalid", location: "n", message: "bad", debugInfo: "x")]),
            InsertErrorEntry(index: 2, errors: []),
            InsertErrorEntry(index: 1, errors: [ErrorProto(reason: "", location: "", message: "")]),
        ])
    }

    @Test("tables.get, datasets.get and jobs.query fail with kind garbage on a garbage 2xx answer", arguments: garbageBodies)
    func resourceAnswers(body: Body) throws {
        let fixture = try Self.answering(body)
        let table = #expect(throws: BigQueryError.self) { try fixture.client.getTable(dataset: "d", table: "t") }
        #expect(table?.kind == .garbage)
        fixture.stub.enqueue(.response(StubResponse(status: 200, body: body.bytes)))
        let dataset = #expect(throws: BigQueryError.self) { try fixture.client.getDataset(dataset: "d") }
        #expect(dataset?.kind == .garbage)
        fixture.stub.enqueue(.response(StubResponse(status: 200, body: body.bytes)))
        let query = #expect(throws: BigQueryError.self) { try fixture.client.query("SELECT 1") }
        #expect(query?.kind == .garbage)
        #expect(fixture.stub.pendingScriptedReplies == 0)
    }

    @Test(
        "a query answer whose rows are not BigQuery's f/v form is garbage",
        arguments: [
            #"{"jobComplete":true,"rows":{}}"#,
            #"{"jobComplete":true,"rows":[{"v":"a"}]}"#,
            #"{"jobComplete":true,"rows":[{"f":"a"}]}"#,
            #"{"jobComplete":true,"rows":[7]}"#,
        ])
    func queryRows(body: String) throws {
        let fixture = try Self.answering(Body(body))
        let error = #expect(throws: BigQueryError.self) { try fixture.client.query("SELECT 1") }
        #expect(error?.kind == .garbage)
    }

    @Test("a table resource with odd members keeps what it can read and leaves the rest out")
    func oddTableResource() throws {
        let fixture = try Self.answering(Body(
            #"{"tableReference":7,"schema":"nope","clustering":{"fields":["a",1]},"timePartitioning":{"expirationMs":"x"},"type":["VIEW"]}"#
        ))
        let table = try fixture.client.getTable(dataset: "d", table: "t")
        #expect(table.tableID == "t")
        #expect(table.schema == ["fields": .array([])])
        #expect(table.clustering == nil)
        #expect(table.timePartitioning == TimePartitioning(type: "DAY", field: nil, expirationMs: nil))
        #expect(table.type == nil)
    }

    @Test(
        "an error answer that is not Google's error body keeps its status and says so",
        arguments: [
            Body("<html>502 Bad Gateway</html>"), Body(#"{"error":"overloaded"}"#), Body(#"{"error":{"errors":"x"}}"#),
            Body(#"{"error":{"message":7}}"#), Body("invalid UTF-8", [0xC3, 0x28]),
            Body("50,000 open objects", Array(String(repeating: "{\"a\":", count: 50_000).utf8)),
        ])
    func errorBodies(body: Body) throws {
        let fixture = try Self.answering(body, status: 502)
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.kind == .httpError)
        #expect(failure.httpStatus == 502)
        #expect(failure.errorReason == nil)
        #expect(failure.message.hasPrefix("HTTP 502 without Google's error body"))
    }

    @Test("Google's error body gives its reason and message even when other members are odd")
    func googleErrorBodyWithOddMembers() throws {
        let fixture = try Self.answering(
            Body(#"{"error":{"code":"x","errors":[{"reason":"backendError","message":"inner"},5],"status":[]}}"#), status: 503
        )
        let failure = try #require(fixture.client.insertAll(dataset: "d", table: "t", rows: sampleRows).failure)
        #expect(failure.errorReason == "backendError")
        #expect(failure.message == "inner")
    }

    @Test("a token endpoint answering garbage gives invalidTokenResponse", arguments: garbageBodies + [
        Body(#"{"access_token":7}"#), Body(#"{"access_token":""}"#), Body(#"{"token":"t"}"#),
    ])
    func tokenAnswers(body: Body) throws {
        let tokens = try TokenEndpointStub(configuration: .init())
        defer { tokens.stop() }
        tokens.enqueue(.response(StubResponse(status: 200, headers: [(name: "Content-Type", value: "application/json")], body: body.bytes)))
        let credentials = MetadataServerCredentials(environment: ["GCE_METADATA_HOST": tokens.metadataHost])
        let error = #expect(throws: CredentialsError.self) { try credentials.accessToken(using: HTTPClient()) }
        #expect(error?.kind == .invalidTokenResponse)
    }

    @Test("a token's lifetime is read from a number or a string, and defaults to an hour")
    func tokenLifetimes() throws {
        let tokens = try TokenEndpointStub(configuration: .init())
        defer { tokens.stop() }
        tokens.enqueue(
            .json(200, #"{"access_token":"a","expires_in":"120"}"#), .json(200, #"{"access_token":"b","expires_in":1.8e2}"#),
            .json(200, #"{"access_token":"c","expires_in":{}}"#)
        )
        let now = Date()
        let endpoint = tokens.server.baseURL + "/computeMetadata/v1/instance/service-accounts/default/token"
        for (token, lifetime) in [("a", 120.0), ("b", 180), ("c", 3600)] {
            let answer = try OAuthTokenEndpoint.exchange(
                HTTPRequest(method: .get, url: endpoint, headers: ["Metadata-Flavor": "Google"]), http: HTTPClient(), now: now,
                source: "test"
            )
            #expect(answer.value == token)
            #expect(answer.expiresAt == now.addingTimeInterval(lifetime))
        }
    }
}
