import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// `spoolctl tables create`, run as a child process against the suite's emulator.
@Suite("spoolctl tables create against the emulator", .serialized)
struct TablesCreateTests {
    @Test("creates the dataset and the seed's five tables, partitioned, expiring and clustered as configured")
    func createsDatasetAndSeedTables() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration()
        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("✓ dataset \(Emulator.project):\(fixture.dataset) created (location US)"))
        #expect(result.stdout.lines(startingWith: "✓ table").count == 5)
        #expect(result.stdout.lines(startingWith: "✗").isEmpty)

        let seed = try SeedSchemas.load()
        for table in SeedSchemas.tableNames {
            let resource = try fixture.client.getTable(dataset: fixture.dataset, table: table)
            #expect(try seed[table]!.differences(from: resource.tableSchema()).isEmpty, "\(table) has the file's columns")
            #expect(resource.timePartitioning == TimePartitioning(type: "DAY", field: "timestamp", expirationMs: 400 * 86_400_000))
        }
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "user_search_events").clustering == ["user_id"])
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "order_transaction_events").clustering == ["user_id", "order_id"])
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "cart_modification_events").clustering == nil)
    }

    @Test("running it again changes nothing and says every table exists with the same columns")
    func runningAgainIsIdempotent() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration()
        #expect(try fixture.spoolctl(["tables", "create"]).code == 0)
        let again = try fixture.spoolctl(["tables", "create"])
        #expect(again.code == 0, "stdout: \(again.stdout) stderr: \(again.stderr)")
        #expect(again.stdout.contains("✓ dataset \(Emulator.project):\(fixture.dataset) exists (location US)"))
        #expect(again.stdout.lines(startingWith: "✓ table").filter { $0.hasSuffix("exists with the same columns") }.count == 5)
        #expect(!again.stdout.contains("note:"), "partitioning and clustering match too")
    }

    @Test("a table whose server spells types INT64, FLOAT64 and STRUCT matches a file that says INTEGER, FLOAT and RECORD")
    func normalizedTypesMatch() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(provisioning: "{}")
        // The emulator echoes types as sent, so a table created with GoogleSQL spellings keeps them.
        let spelled = try String(contentsOf: fixture.schemasDirectory.appendingPathComponent("user_search_events.json"), encoding: .utf8)
            .replacingOccurrences(of: #""INTEGER""#, with: #""INT64""#)
            .replacingOccurrences(of: #""FLOAT""#, with: #""FLOAT64""#)
            .replacingOccurrences(of: #""RECORD""#, with: #""STRUCT""#)
        try fixture.client.insertDataset(dataset: fixture.dataset)
        try fixture.client.insertTable(dataset: fixture.dataset, table: "user_search_events", schemaFields: TableSchema(jsonData: Array(spelled.utf8)).jsonData(pretty: false))
        let remote = try fixture.remoteSchema("user_search_events")
        #expect(remote.fields.contains { $0.type.spelling == "INT64" }, "the emulator kept the spelling")

        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 0, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("✓ table user_search_events → \(fixture.dataset).user_search_events exists with the same columns"))
    }

    @Test("a changed schema file is reported field by field and the table is left untouched")
    func changedSchemaIsReportedAndLeftAlone() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration()
        #expect(try fixture.spoolctl(["tables", "create"]).code == 0)
        let before = try fixture.remoteSchema("user_search_events")
        try fixture.editSchema("user_search_events") { fields in
            fields.append(FieldSchema(name: "device", type: .string))
            let index = fields.firstIndex { $0.name == "results_count" }!
            fields[index].type = .string
            fields.removeAll { $0.name == "intent" }
        }

        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 2, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("✗ table user_search_events → \(fixture.dataset).user_search_events exists with different columns; left untouched"))
        #expect(result.stdout.contains("    device: STRING NULLABLE in the schema file, missing from the table"))
        #expect(result.stdout.contains("    results_count: type INTEGER in the table, STRING in the schema file"))
        #expect(result.stdout.contains("    intent: STRING NULLABLE in the table, not in the schema file"))
        #expect(result.stdout.lines(startingWith: "✓ table").count == 4, "the other tables are fine")
        #expect(try fixture.remoteSchema("user_search_events") == before, "the table was not changed")
    }

    @Test("new nullable columns are offered, and added with --apply-additive through tables.patch")
    func additiveColumnsAreAddedOnRequest() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration()
        #expect(try fixture.spoolctl(["tables", "create"]).code == 0)
        try fixture.editSchema("cart_modification_events") { fields in
            fields.append(FieldSchema(name: "device", type: .string))
            let index = fields.firstIndex { $0.name == "event_properties" }!
            fields[index].fields.append(FieldSchema(name: "referrer", type: .string))
        }

        let offered = try fixture.spoolctl(["tables", "create"])
        #expect(offered.code == 2)
        #expect(offered.stdout.contains("✗ table cart_modification_events → \(fixture.dataset).cart_modification_events lacks 2 columns of its schema file; left untouched"))
        #expect(offered.stdout.contains("run again with --apply-additive"))
        #expect(try fixture.remoteSchema("cart_modification_events").fields.count == 11)

        let applied = try fixture.spoolctl(["tables", "create", "--apply-additive"])
        #expect(applied.code == 0, "stdout: \(applied.stdout) stderr: \(applied.stderr)")
        #expect(applied.stdout.contains("✓ table cart_modification_events → \(fixture.dataset).cart_modification_events patched: added event_properties.referrer, device"))
        let remote = try fixture.remoteSchema("cart_modification_events")
        #expect(remote.fields.last?.name == "device")
        #expect(remote.fields.first { $0.name == "event_properties" }?.fields.map(\.name) == ["source", "experiment", "page", "referrer"])

        let settled = try fixture.spoolctl(["tables", "create"])
        #expect(settled.code == 0)
        #expect(settled.stdout.lines(startingWith: "✓ table").filter { $0.hasSuffix("exists with the same columns") }.count == 5)
    }

    @Test("a partition column the schema lacks is refused for that table before any request")
    func badPartitionFieldIsRefused() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(provisioning: #"{"partitionField": "user_id"}"#)
        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 2)
        #expect(result.stdout.lines(startingWith: "✗ table").count == 5)
        #expect(result.stdout.contains(#"provisioning.partitionField "user_id" is not a TIMESTAMP, DATE or DATETIME column of the schema"#))
        #expect(throws: BigQueryError.self) { try fixture.client.getTable(dataset: fixture.dataset, table: "user_search_events") }
    }
}
