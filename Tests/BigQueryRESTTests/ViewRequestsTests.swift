import BigQueryREST
import Foundation
import SpoolTestSupport
import Testing

/// The requests behind `spoolctl tables create`'s views, against a loopback server that records them.
@Suite struct ViewRequestsTests {
    /// A server answering every request with `reply`, and a client for it.
    private func serving(_ reply: @escaping @Sendable (ReceivedRequest) -> StubReply) throws -> (LoopbackHTTPServer, BigQueryClient) {
        let server = try LoopbackHTTPServer(handler: reply)
        let client = BigQueryClient(endpoint: server.baseURL, project: "test-project", credentials: NoCredentials(), logger: LogCapture().logger())
        return (server, client)
    }

    @Test func getTableReadsAViewsQueryAndAMaterializedViewsSettings() throws {
        let (server, client) = try serving { request in
            request.path.hasSuffix("/daily")
                ? .json(200, #"{"type":"VIEW","description":"Daily.","view":{"query":"SELECT 1","useLegacySql":false}}"#)
                : .json(200, #"{"type":"MATERIALIZED_VIEW","timePartitioning":{"type":"DAY","field":"day"},"materializedView":{"query":"SELECT 2","enableRefresh":false,"refreshIntervalMs":"3600000"}}"#)
        }
        defer { server.stop() }
        let view = try client.getTable(dataset: "d", table: "daily")
        #expect(view.type == "VIEW" && view.viewQuery == "SELECT 1" && view.description == "Daily." && view.materializedView == nil)
        let materialized = try client.getTable(dataset: "d", table: "affinity")
        #expect(materialized.materializedView == MaterializedViewResource(query: "SELECT 2", enableRefresh: false, refreshIntervalMs: 3_600_000))
        #expect(materialized.timePartitioning?.field == "day")
        #expect(materialized.viewQuery == nil)
    }

    @Test func aViewIsInsertedAndReplacedWithItsQueryInGoogleSQL() throws {
        let (server, client) = try serving { _ in .json(200, "{}") }
        defer { server.stop() }
        try client.insertView(dataset: "d", table: "daily", query: #"SELECT "a" AS x"#, description: "Daily.")
        try client.updateView(dataset: "d", table: "daily", query: "SELECT 2", description: nil)
        let requests = server.requests
        #expect(requests.map(\.method) == ["POST", "PUT"])
        #expect(requests[0].path == "/bigquery/v2/projects/test-project/datasets/d/tables")
        let inserted = try #require(requests[0].jsonBody() as? [String: Any])
        #expect((inserted["tableReference"] as? [String: Any])?["tableId"] as? String == "daily")
        #expect((inserted["view"] as? [String: Any])?["query"] as? String == #"SELECT "a" AS x"#)
        #expect((inserted["view"] as? [String: Any])?["useLegacySql"] as? Bool == false)
        #expect(inserted["description"] as? String == "Daily.")
        #expect(requests[1].path == "/bigquery/v2/projects/test-project/datasets/d/tables/daily")
        let replaced = try #require(requests[1].jsonBody() as? [String: Any])
        #expect((replaced["view"] as? [String: Any])?["query"] as? String == "SELECT 2")
        #expect(replaced["description"] == nil)
    }

    @Test func aMaterializedViewIsCreatedByStatementThenPatched() throws {
        let (server, client) = try serving { request in
            request.method == "POST" ? .json(200, #"{"jobComplete":true,"statementType":"CREATE_MATERIALIZED_VIEW"}"#) : .json(200, "{}")
        }
        defer { server.stop() }
        try client.createMaterializedView(dataset: "d", table: "affinity", query: "SELECT day, COUNT(*) AS n FROM `p.d.t` GROUP BY day", partitionField: "day")
        try client.patchMaterializedView(dataset: "d", table: "affinity", description: "ML.", enableRefresh: true, refreshIntervalMs: 1_800_000)
        let requests = server.requests
        let statement = try #require(requests[0].jsonBody() as? [String: Any])
        #expect(statement["query"] as? String == "CREATE MATERIALIZED VIEW `test-project.d.affinity` PARTITION BY day AS\nSELECT day, COUNT(*) AS n FROM `p.d.t` GROUP BY day")
        #expect(requests[1].method == "PATCH")
        #expect(requests[1].bodyText == #"{"type":"MATERIALIZED_VIEW","description":"ML.","materializedView":{"enableRefresh":true,"refreshIntervalMs":"1800000"}}"#)
        #expect(throws: BigQueryError.self) {
            try client.createMaterializedView(dataset: "d", table: "x", query: "SELECT 1", partitionField: "day) AS SELECT 1; --")
        }
        #expect(server.requests.count == 2, "a partition column that is not a plain name is refused before any request")
    }

    @Test func aDryRunSaysSoAndAnAnswerCarryingErrorsFails() throws {
        let (server, client) = try serving { request in
            request.bodyText.contains("bad")
                ? .json(200, #"{"jobComplete":true,"errors":[{"reason":"invalidQuery","message":"Binder Error: Referenced column \"bad\" not found","location":"query"}]}"#)
                : .json(200, #"{"jobComplete":true,"schema":{"fields":[{"name":"a","type":"INTEGER"}]}}"#)
        }
        defer { server.stop() }
        let result = try client.query("SELECT 1 AS a", dryRun: true)
        #expect(result.fieldNames == ["a"] && result.rows.isEmpty)
        #expect((server.requests[0].jsonBody() as? [String: Any])?["dryRun"] as? Bool == true)
        let error = #expect(throws: BigQueryError.self) { try client.query("SELECT bad") }
        #expect(error?.reason == "invalidQuery")
        #expect(error?.message == #"Binder Error: Referenced column "bad" not found"#)
        #expect((server.requests[1].jsonBody() as? [String: Any])?["dryRun"] == nil)
    }

    @Test func viewDefinitionsComeFromInformationSchema() throws {
        let (server, client) = try serving { _ in
            .json(200, #"{"jobComplete":true,"schema":{"fields":[{"name":"table_name"},{"name":"view_definition"}]},"rows":[{"f":[{"v":"daily"},{"v":"SELECT 1"}]}]}"#)
        }
        defer { server.stop() }
        #expect(try client.viewDefinitions(dataset: "d") == ["daily": "SELECT 1"])
        #expect((server.requests[0].jsonBody() as? [String: Any])?["query"] as? String == "SELECT table_name, view_definition FROM `test-project.d.INFORMATION_SCHEMA.VIEWS`")
    }
}
