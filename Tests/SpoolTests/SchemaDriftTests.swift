import Foundation
import Spool
import SpoolTestSupport
import Testing

@Suite("Schema drift")
struct SchemaDriftTests {
    @Test("when the local schema rejects rows, the remote schema is fetched once; a changed table is re-judged and noted in status")
    func localRejectionsTriggerOneRemoteCheck() throws {
        let directory = try TemporaryDirectory()
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let local = try #require(try SeedSchemas.load()["user_search_events"])
        // Remotely, response_time_ms became a FLOAT: 12.7 is now fine there.
        let remoteFields = try #require(String(decoding: local.jsonData(pretty: false), as: UTF8.self)
            .replacingOccurrences(of: #"{"name":"response_time_ms","type":"INTEGER""#, with: #"{"name":"response_time_ms","type":"FLOAT""#) as String?)
        #expect(remoteFields.contains(#""response_time_ms","type":"FLOAT""#))
        stub.createTable(dataset: "analytics", table: "user_search_events", schemaFields: remoteFields)
        let remote = try TableSchema(jsonData: Data(remoteFields.utf8))
        stub.judgeLikeBigQuery(dataset: "analytics", table: "user_search_events", schema: remote)

        var configuration = Spool.Configuration()
        configuration.schemas = ["user_search_events": local]
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        try spool.append(json: searchEvent("float", responseTime: "12.7"), to: "user_search_events")
        try spool.append(json: searchEvent("text", responseTime: #""abc""#), to: "user_search_events")
        try spool.append(json: searchEvent("fine"), to: "user_search_events")

        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint)
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration()).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(Set(stub.storedEventIds(dataset: "analytics", table: "user_search_events")) == ["float", "fine"])
        let letters = try spool.deadLetters()
        #expect(letters.count == 1)
        #expect(letters.first?.message == "Cannot convert value to floating point (bad value): abc")
        let note = try #require(try spool.status().tables.first?.schemaNote)
        #expect(note.contains("response_time_ms"))
        #expect(stub.requests.filter { $0.method == "GET" && $0.path.hasSuffix("/tables/user_search_events") }.count == 1, "fetched once")
    }
}
