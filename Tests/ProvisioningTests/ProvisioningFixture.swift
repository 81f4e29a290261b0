import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport

/// A temporary set-up for spoolctl: a copy of the seed's schema files and views (tests change them), a spool file path,
/// a unique dataset on the suite's emulator, and a configuration file that ties them together.
final class ProvisioningFixture {
    let directory: TemporaryDirectory
    let endpoint: String
    let dataset: String
    var schemasDirectory: URL { directory.file("schemas") }
    var viewsDirectory: URL { directory.file("views") }
    var spoolPath: String { directory.file("spool.db").path }
    var configPath: String { directory.file("spool.json").path }

    init(endpoint: String? = nil) throws {
        directory = try TemporaryDirectory(prefix: "spool-provisioning")
        self.endpoint = try endpoint ?? Emulator.url()
        dataset = Emulator.uniqueDataset("prov")
        try FileManager.default.copyItem(at: SeedSchemas.directory, to: schemasDirectory)
        try FileManager.default.copyItem(at: BuiltProducts.repositoryRoot.appendingPathComponent("examples/leafloaf/views"), to: viewsDirectory)
    }

    /// Writes the configuration file; every argument has the value an all-green set-up uses (`views`: whether
    /// `schemas.views` names the copy of the seed's views).
    func writeConfiguration(
        dataset: String? = nil, endpoint: String? = nil, credentials: String? = nil, tables: [String: String] = [:], views: Bool = false,
        provisioning: String = #"{"location": "US", "partitionField": "timestamp", "partitionExpirationDays": 400, "clustering": {"user_search_events": ["user_id"], "order_transaction_events": ["user_id", "order_id"]}}"#
    ) throws {
        let mapping = tables.isEmpty ? "" : #", "tables": "# + String(decoding: try JSONSerialization.data(withJSONObject: tables), as: UTF8.self)
        let credentialsEntry = credentials.map { #", "credentials": "\#($0)""# } ?? ""
        let text = """
            {
              "spool": { "path": "spool.db" },
              "destination": { "project": "\(Emulator.project)", "dataset": "\(dataset ?? self.dataset)", "endpoint": "\(endpoint ?? self.endpoint)"\(mapping) },
              "uploader": { "connectTimeoutSeconds": 2, "requestTimeoutSeconds": 10\(credentialsEntry) },
              "schemas": { "directory": "schemas"\(views ? #", "views": "views""# : "") },
              "provisioning": \(provisioning)
            }
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: configPath))
    }

    /// Runs the built spoolctl with `arguments` and `--config` pointing at this fixture's file.
    func spoolctl(_ arguments: [String], environment: [String: String] = [:]) throws -> (code: Int32, stdout: String, stderr: String) {
        try ChildProcess.run(BuiltProducts.path("spoolctl"), arguments + ["--config", configPath], environment: environment.merging(["SPOOL_CONFIG": ""]) { $1 })
    }

    /// Rewrites one schema file through `change`, which edits the parsed field list.
    func editSchema(_ table: String, _ change: (inout [FieldSchema]) -> Void) throws {
        let url = schemasDirectory.appendingPathComponent("\(table).json")
        var fields = try TableSchema(jsonData: [UInt8](Data(contentsOf: url))).fields
        change(&fields)
        try TableSchema(fields: fields).jsonData().write(to: url)
    }

    /// A spool file with a few rows waiting for `tables`, closed again.
    func makeSpool(rowsFor tables: [String] = ["user_search_events"]) throws {
        let spool = try Spool(path: spoolPath)
        for (index, table) in tables.enumerated() {
            try spool.append(json: SeedEvents.row(table: table, eventID: "doc-\(index)", index: index), to: table)
        }
        spool.close()
    }

    /// Every file of the fixture's folder (the schema folder aside) with its bytes: what "modifies nothing" compares.
    func spoolFiles() throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasPrefix("spool.db") {
            files[name] = try Data(contentsOf: directory.file(name))
        }
        return files
    }

    var client: BigQueryClient { Emulator.client(endpoint) }

    func remoteSchema(_ table: String) throws -> TableSchema {
        try client.getTable(dataset: dataset, table: table).tableSchema()
    }
}

extension String {
    /// The output lines that start with `prefix` (✓ or ✗).
    func lines(startingWith prefix: String) -> [Substring] {
        split(separator: "\n").filter { $0.hasPrefix(prefix) }
    }
}
