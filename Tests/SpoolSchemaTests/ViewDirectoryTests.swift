import Foundation
import SpoolSchema
import Testing

@Suite("View folders: <name>.sql with an optional <name>.json")
struct ViewDirectoryTests {
    static let seedViews = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/leafloaf/views")

    /// A temporary folder holding `files`, removed after `body`.
    private func withFolder<T>(_ files: [String: String], _ body: (URL) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-views-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in files {
            try Data(text.utf8).write(to: folder.appendingPathComponent(name))
        }
        return try body(folder)
    }

    private func loadError(_ files: [String: String]) throws -> SchemaError? {
        try withFolder(files) { folder -> SchemaError? in
            do throws(SchemaError) {
                _ = try ViewDirectory.load(from: folder)
                return nil
            } catch {
                return error
            }
        }
    }

    @Test("the seed's five views load: four plain views and the affinity table as a materialized view refreshed every 30 minutes")
    func seedViewsLoad() throws {
        let views = try ViewDirectory.load(from: Self.seedViews)
        #expect(views.map(\.name) == ["daily_orders", "daily_search_summary", "product_funnel", "recommendation_ab_readout", "user_category_affinity"])
        #expect(views.filter { $0.kind == .view }.count == 4)
        let affinity = try #require(views.last)
        #expect(affinity.kind == .materializedView && affinity.enableRefresh == true && affinity.refreshIntervalMs == 1_800_000)
        for view in views {
            #expect(view.description?.isEmpty == false, "\(view.name) is described")
            #expect(view.sql.contains("`${dataset}."), "\(view.name) names its tables through ${dataset}")
        }
    }

    @Test("a .sql file alone is a plain view; ${dataset} becomes project.dataset and a final semicolon goes")
    func sqlAloneIsAPlainView() throws {
        let views = try withFolder(["a.sql": "\nSELECT 1 FROM `${dataset}.t`;\n", "notes.txt": "ignored"]) { try ViewDirectory.load(from: $0) }
        #expect(views == [ViewDefinition(name: "a", sql: "\nSELECT 1 FROM `${dataset}.t`;\n")])
        #expect(views[0].query(project: "p-1", dataset: "d") == "SELECT 1 FROM `p-1.d.t`")
    }

    @Test("query texts compare equal when only blank space or a final semicolon differs")
    func queriesCompareWithoutBlankSpace() {
        #expect(ViewDefinition.sameQuery("SELECT a,\n  b\nFROM t;", "SELECT a, b FROM t"))
        #expect(!ViewDefinition.sameQuery("SELECT a, b FROM t", "SELECT a, c FROM t"))
    }

    @Test("bad view files are refused with the file and key named", arguments: [
        (["a.sql": "SELECT 1", "a.json": #"{"kind": "table"}"#], "kind", "must be \"view\" or \"materializedView\""),
        (["a.sql": "SELECT 1", "a.json": #"{"refreshInterval": 60000}"#], "refreshInterval", "unknown key"),
        (["a.sql": "SELECT 1", "a.json": #"{"enableRefresh": true}"#], "enableRefresh", "only a materialized view has this setting"),
        (["a.sql": "SELECT 1", "a.json": #"{"kind": "materializedView", "refreshIntervalMs": 1000}"#], "refreshIntervalMs", "from 60000"),
        (["a.sql": "SELECT 1", "a.json": #"{"kind": "materializedView", "partitioning": {"field": "a`b"}}"#], "partitioning.field", "'`'"),
        (["a.sql": "SELECT 1", "a.json": #"{"description": 3}"#], "description", "must be a string"),
    ])
    func badSettingsAreRefused(files: [String: String], key: String, words: String) throws {
        let error = try #require(try loadError(files))
        #expect(error.file?.hasSuffix("a.json") == true)
        #expect(error.fieldPath == key)
        #expect(error.description.contains(words), "\(error)")
    }

    @Test("settings without a query, an empty query and a settings file that is not JSON are refused")
    func orphansAndEmptyQueriesAreRefused() throws {
        #expect(try loadError(["b.json": #"{"kind": "view"}"#])?.description.contains("b.sql is missing") == true)
        #expect(try loadError(["b.sql": " \n"])?.description.contains("the view's query is empty") == true)
        #expect(try loadError(["b.sql": "SELECT 1", "b.json": "{kind"])?.code == .notJSON)
    }
}
