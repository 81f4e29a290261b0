import BigQueryREST
import Foundation
import SpoolJSON
import SpoolTestSupport
import Synchronization
import Testing

let eventFields = #"[{"name":"event_id","type":"STRING","mode":"REQUIRED"},{"name":"created_at","type":"TIMESTAMP","mode":"NULLABLE"},{"name":"props","type":"RECORD","mode":"NULLABLE","fields":[{"name":"k","type":"STRING"}]}]"#

@Suite struct TablesAndQueriesTests {
    @Test func getTableReadsSchemaPartitioningAndClustering() throws {
        let fixture = try StubFixture()
        fixture.stub.createTable(
            dataset: "analytics", table: "events", schemaFields: eventFields, timePartitioningField: "created_at",
            clustering: ["event_id"]
        )
        let table = try fixture.client.getTable(dataset: "analytics", table: "events")
        #expect(table.projectID == "test-project")
        #expect(table.datasetID == "analytics")
        #expect(table.tableID == "events")
        #expect(table.timePartitioning == TimePartitioning(type: "DAY", field: "created_at"))
        #expect(table.clustering == ["event_id"])
        let fields = try #require(table.schema["fields"]?.arrayValue)
        #expect(fields.map { $0.objectValue?["name"]?.stringValue } == ["event_id", "created_at", "props"])
        #expect(fixture.stub.requests.first?.method == "GET")
        #expect(fixture.stub.requests.first?.path == "/bigquery/v2/projects/test-project/datasets/analytics/tables/events")
    }

    @Test func getTableOfAMissingTableFailsWithNotFound() throws {
        let fixture = try StubFixture()
        let error = #expect(throws: BigQueryError.self) { try fixture.client.getTable(dataset: "analytics", table: "nope") }
        #expect(error?.isNotFound == true)
        #expect(error?.reason == "notFound")
        #expect(error?.message == "Not found: Table test-project:analytics.nope")
    }

    @Test func insertingAnExistingDatasetFailsAsDuplicate() throws {
        let fixture = try StubFixture()
        try fixture.client.insertDataset(dataset: "analytics", location: "EU")
        #expect(fixture.stub.datasetExists("analytics"))
        let body = try #require(fixture.stub.requests.first?.jsonBody() as? [String: Any])
        #expect(body["location"] as? String == "EU")
        #expect((body["datasetReference"] as? [String: Any])?["projectId"] as? String == "test-project")
        let error = #expect(throws: BigQueryError.self) { try fixture.client.insertDataset(dataset: "analytics") }
        #expect(error?.httpStatus == 409)
        #expect(error?.isDuplicate == true)
    }

    @Test func insertTableSendsSchemaPartitioningAndClustering() throws {
        let fixture = try StubFixture()
        try fixture.client.insertDataset(dataset: "analytics")
        try fixture.client.insertTable(
            dataset: "analytics", table: "events", schemaFields: Data(eventFields.utf8),
            timePartitioning: TimePartitioning(type: "DAY", field: "created_at", expirationMs: 7_776_000_000),
            clustering: ["event_id"]
        )
        let request = try #require(fixture.stub.requests.last)
        #expect(request.path == "/bigquery/v2/projects/test-project/datasets/analytics/tables")
        #expect(request.bodyText.contains(#""schema":{"fields":\#(eventFields)}"#))
        #expect(request.bodyText.contains(#""expirationMs":"7776000000""#))
        let table = try fixture.client.getTable(dataset: "analytics", table: "events")
        #expect(table.timePartitioning == TimePartitioning(type: "DAY", field: "created_at", expirationMs: 7_776_000_000))
        #expect(table.clustering == ["event_id"])

        let again = #expect(throws: BigQueryError.self) {
            try fixture.client.insertTable(dataset: "analytics", table: "events", schemaFields: Data(eventFields.utf8))
        }
        #expect(again?.isDuplicate == true)
    }

    @Test func schemaFieldsThatAreNotAJSONArrayAreRefusedBeforeSending() throws {
        let fixture = try StubFixture()
        let error = #expect(throws: BigQueryError.self) {
            try fixture.client.insertTable(dataset: "analytics", table: "events", schemaFields: Data(#"{"fields":[]}"#.utf8))
        }
        #expect(error?.kind == .invalidRequest)
        #expect(fixture.stub.requests.isEmpty)
    }

    @Test func patchTableReplacesTheSchema() throws {
        let fixture = try StubFixture()
        fixture.stub.createTable(dataset: "analytics", table: "events", schemaFields: #"[{"name":"event_id","type":"STRING"}]"#)
        try fixture.client.patchTable(
            dataset: "analytics", table: "events",
            schemaFields: Data(#"[{"name":"event_id","type":"STRING"},{"name":"added","type":"INT64","mode":"NULLABLE"}]"#.utf8)
        )
        #expect(fixture.stub.requests.last?.method == "PATCH")
        let table = try fixture.client.getTable(dataset: "analytics", table: "events")
        #expect(table.schema["fields"]?.arrayValue?.map { $0.objectValue?["name"]?.stringValue } == ["event_id", "added"])
    }

    @Test func queryWaitsForTheJobAndFollowsPageTokens() throws {
        let server = try LoopbackHTTPServer { request in
            let schema = #""schema":{"fields":[{"name":"id","type":"STRING"},{"name":"n","type":"INTEGER"},{"name":"r","type":"RECORD","fields":[{"name":"k","type":"STRING"}]}]}"#
            let reference = #""jobReference":{"projectId":"test-project","jobId":"job_1","location":"EU"}"#
            switch (request.method, request.queryItems["pageToken"]) {
            case ("POST", _):
                return .json(200, #"{"kind":"bigquery#queryResponse",\#(reference),"jobComplete":false}"#)
            case ("GET", nil):
                return .json(200, #"{"kind":"bigquery#getQueryResultsResponse",\#(reference),\#(schema),"jobComplete":true,"totalRows":"3","pageToken":"page 2","rows":[{"f":[{"v":"a"},{"v":"1"},{"v":{"f":[{"v":"x"}]}}]},{"f":[{"v":"b"},{"v":null},{"v":null}]}]}"#)
            default:
                return .json(200, #"{"kind":"bigquery#getQueryResultsResponse",\#(reference),\#(schema),"jobComplete":true,"totalRows":"3","rows":[{"f":[{"v":"c"},{"v":"3"},{"v":null}]}]}"#)
            }
        }
        defer { server.stop() }
        let client = BigQueryClient(
            endpoint: server.baseURL, project: "test-project", credentials: NoCredentials(), logger: LogCapture().logger()
        )
        let result = try client.query("SELECT id, n, r FROM `test-project.analytics.events` ORDER BY id")
        #expect(result.fieldNames == ["id", "n", "r"])
        #expect(result.rows == [["a", "1", #"{"f":[{"v":"x"}]}"#], ["b", nil, nil], ["c", "3", nil]])
        #expect(result.jobID == "job_1")

        let requests = server.requests
        #expect(requests.count == 3)
        #expect(requests[0].path == "/bigquery/v2/projects/test-project/queries")
        let body = try #require(requests[0].jsonBody() as? [String: Any])
        #expect(body["query"] as? String == "SELECT id, n, r FROM `test-project.analytics.events` ORDER BY id")
        #expect(body["useLegacySql"] as? Bool == false)
        #expect(requests[1].path == "/bigquery/v2/projects/test-project/queries/job_1")
        #expect(requests[1].queryItems["location"] == "EU")
        #expect(requests[2].queryItems["pageToken"] == "page 2")
        #expect(requests.allSatisfy { $0.header("Authorization") == nil })
    }

    @Test func aQueryErrorCarriesGoogleReason() throws {
        let fixture = try StubFixture()
        fixture.stub.enqueue(GoogleErrorReply.reply(status: 400, reason: "invalidQuery", message: "Syntax error: Unexpected end of script at [1:7]"))
        let error = #expect(throws: BigQueryError.self) { try fixture.client.query("SELECT") }
        #expect(error?.httpStatus == 400)
        #expect(error?.reason == "invalidQuery")
        #expect(error?.message == "Syntax error: Unexpected end of script at [1:7]")
    }
}
