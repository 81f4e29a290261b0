import BigQueryREST
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The views of `schemas.views` (the seed's, from examples/leafloaf/views/), provisioned by `spoolctl tables create`,
/// checked by `spoolctl doctor`, and read through BigQuery's `jobs.query` after the real uploader delivered events.
@Suite("views and materialized views against the emulator", .serialized)
struct ViewsTests {
    static let viewNames = ["daily_orders", "daily_search_summary", "product_funnel", "recommendation_ab_readout"]

    /// Runs a query and returns its rows as column name → value.
    private func rows(_ fixture: ProvisioningFixture, _ view: String, orderBy: String) throws -> [[String: String?]] {
        let result = try fixture.client.query("SELECT * FROM `\(Emulator.project).\(fixture.dataset).\(view)` ORDER BY \(orderBy)")
        return result.rows.map { row in
            Dictionary(uniqueKeysWithValues: zip(result.fieldNames, row).map { ($0.0, $0.1) })
        }
    }

    private func number(_ row: [String: String?], _ column: String) -> Double? {
        (row[column] ?? nil).flatMap(Double.init)
    }

    private func decimal(_ row: [String: String?], _ column: String) -> Decimal? {
        (row[column] ?? nil).flatMap { Decimal(string: $0) }
    }

    @Test("tables create provisions the seed's views; after the uploader delivered known events each view answers what the events say")
    func seedViewsAnswerWhatTheEventsSay() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(views: true)
        let created = try fixture.spoolctl(["tables", "create"])
        #expect(created.code == 0, "stdout: \(created.stdout) stderr: \(created.stderr)")
        for name in Self.viewNames {
            #expect(created.stdout.contains("✓ view \(fixture.dataset).\(name) created\n"), "\(name): \(created.stdout)")
        }
        #expect(created.stdout.contains("✓ materialized view \(fixture.dataset).user_category_affinity created (refreshed automatically, at most every 30 min)"))
        let affinity = try fixture.client.getTable(dataset: fixture.dataset, table: "user_category_affinity")
        #expect(affinity.type == "MATERIALIZED_VIEW")
        #expect(affinity.description?.hasPrefix("Per user and category") == true)
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "daily_orders").type == "VIEW")

        // The application's path: Spool.append, then the library's own uploader (spoolctl drain) to insertAll.
        let events = SeedViewEvents()
        let spool = try Spool(path: fixture.spoolPath)
        for row in try events.rows() {
            try spool.append(json: row.json, to: row.table)
        }
        spool.close()
        let drained = try fixture.spoolctl(["drain", "--timeout", "60s"])
        #expect(drained.code == 0, "stdout: \(drained.stdout) stderr: \(drained.stderr)")
        #expect(try Emulator.values(endpoint: fixture.endpoint, dataset: fixture.dataset, table: "user_search_events").count == events.searches.count)

        let searchRows = try rows(fixture, "daily_search_summary", orderBy: "day")
        let searches = events.dailySearchSummary()
        #expect(searchRows.compactMap { $0["day"] ?? nil } == searches.keys.sorted())
        let searchColumns = ["searches", "users", "product_search", "meal_planning", "price_sensitive", "other_intent", "zero_result_searches", "median_response_time_ms"]
        for row in searchRows {
            let expected = try #require(searches[text(row, "day")])
            #expect(searchColumns.map { number(row, $0) } == expected, "daily_search_summary \(row)")
        }

        let funnelRows = try rows(fixture, "product_funnel", orderBy: "product_sku")
        let funnel = events.productFunnel()
        #expect(funnelRows.compactMap { $0["product_sku"] ?? nil } == funnel.keys.sorted())
        for row in funnelRows {
            let expected = try #require(funnel[text(row, "product_sku")])
            #expect(row["product_category"] ?? nil == expected.category)
            let counts = ["search_interactions", "clicks", "cart_adds", "orders", "units_ordered"].map { number(row, $0).map(Int.init) }
            #expect(counts == expected.counts, "product_funnel \(row)")
            let perClick = expected.counts[1] == 0 ? nil : Double(expected.counts[2]) / Double(expected.counts[1])
            #expect(number(row, "cart_adds_per_click") == perClick)
        }

        let affinityRows = try rows(fixture, "user_category_affinity", orderBy: "user_id, category")
        let affinities = events.userCategoryAffinity()
        #expect(affinityRows.map { "\(text($0, "user_id"))/\(text($0, "category"))" } == affinities.keys.sorted())
        for row in affinityRows {
            let expected = try #require(affinities["\(text(row, "user_id"))/\(text(row, "category"))"])
            let values = ["interactions", "views", "clicks", "add_to_carts", "purchases", "affinity"].map { number(row, $0) }
            #expect(values == expected.map { Optional($0) }, "user_category_affinity \(row)")
        }

        let readoutRows = try rows(fixture, "recommendation_ab_readout", orderBy: "experiment, model_name, model_version")
        let readout = events.recommendationReadout()
        #expect(readoutRows.count == readout.count)
        #expect(readout.values.contains { $0[3] > 0 } && readout.values.contains { $0[4] > 0 }, "the events exercise the attribution")
        for row in readoutRows {
            let key = ["experiment", "model_name", "model_version"].map { text(row, $0) }.joined(separator: "/")
            let expected = try #require(readout[key], "arm \(key)")
            let values = ["impressions", "skus_shown", "users", "clicks", "cart_adds"].map { number(row, $0).map(Int.init) }
            #expect(values == expected, "recommendation_ab_readout \(row)")
            #expect(number(row, "clicks_per_impression") == Double(expected[3]) / Double(expected[0]))
        }

        let orderRows = try rows(fixture, "daily_orders", orderBy: "day, currency")
        let orders = events.dailyOrders()
        #expect(orderRows.map { "\(text($0, "day"))/\(text($0, "currency"))" } == orders.keys.sorted())
        for row in orderRows {
            let expected = try #require(orders["\(text(row, "day"))/\(text(row, "currency"))"])
            #expect(number(row, "orders").map(Int.init) == expected.orders)
            #expect(decimal(row, "revenue") == expected.revenue, "daily_orders \(row)")
            #expect(number(row, "discounted_orders").map(Int.init) == expected.discounted)
            #expect(decimal(row, "discount_amount") == expected.discountAmount, "daily_orders \(row)")
            #expect(number(row, "discounted_share") == Double(expected.discounted) / Double(expected.orders))
        }

        let again = try fixture.spoolctl(["tables", "create"])
        #expect(again.code == 0, "stdout: \(again.stdout) stderr: \(again.stderr)")
        #expect(again.stdout.lines(startingWith: "✓ view").filter { $0.hasSuffix("exists with the same query and settings") }.count == 4)
        #expect(again.stdout.contains("✓ materialized view \(fixture.dataset).user_category_affinity exists with the same query and settings"))

        let doctor = try fixture.spoolctl(["doctor"])
        #expect(doctor.code == 0, "stdout: \(doctor.stdout) stderr: \(doctor.stderr)")
        for name in Self.viewNames {
            #expect(doctor.stdout.contains("✓ view \(fixture.dataset).\(name) exists and matches \(name).sql"))
        }
        #expect(doctor.stdout.contains("✓ materialized view \(fixture.dataset).user_category_affinity exists and matches user_category_affinity.sql"))
    }

    private func text(_ row: [String: String?], _ column: String) -> String {
        (row[column] ?? nil) ?? ""
    }
}

extension ViewsTests {
    /// Replaces the fixture's views folder with `files` (name → text).
    private func writeViews(_ fixture: ProvisioningFixture, _ files: [String: String]) throws {
        try FileManager.default.removeItem(at: fixture.viewsDirectory)
        try FileManager.default.createDirectory(at: fixture.viewsDirectory, withIntermediateDirectories: false)
        for (name, text) in files {
            try Data(text.utf8).write(to: fixture.viewsDirectory.appendingPathComponent(name))
        }
    }

    /// Rewrites one file of the fixture's views folder through `change`.
    private func editView(_ fixture: ProvisioningFixture, _ file: String, _ change: (String) -> String) throws {
        let url = fixture.viewsDirectory.appendingPathComponent(file)
        try Data(change(try String(contentsOf: url, encoding: .utf8)).utf8).write(to: url)
    }

    @Test("a view whose query names a missing column is refused with BigQuery's message, exit 2, and is not created")
    func missingColumnIsRefused() throws {
        let fixture = try ProvisioningFixture()
        try writeViews(fixture, [
            "searches_by_device.sql": "SELECT device, COUNT(*) AS searches\nFROM `${dataset}.user_search_events`\nGROUP BY device\n",
            "searches_by_device.json": #"{"kind": "view", "description": "needs a device column"}"#,
        ])
        try fixture.writeConfiguration(views: true)
        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 2, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.lines(startingWith: "✓ table").count == 5, "the tables are created all the same")
        #expect(result.stdout.contains("✗ view \(fixture.dataset).searches_by_device not created: BigQuery refused the query of searches_by_device.sql\n"))
        // The emulator's words come from DuckDB (BigQuery's own would be "Unrecognized name: device at [1:8]").
        #expect(result.stdout.contains(#"    invalidQuery: Query execution failed: Binder Error: Referenced column "device" not found"#), "\(result.stdout)")
        #expect(throws: BigQueryError.self) { try fixture.client.getTable(dataset: fixture.dataset, table: "searches_by_device") }
    }

    @Test("a plain view that differs from its files is shown as a diff and left alone; --apply-views replaces it")
    func changedViewIsReplacedOnlyWithApplyViews() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(views: true)
        #expect(try fixture.spoolctl(["tables", "create"]).code == 0)
        try editView(fixture, "daily_orders.sql") {
            $0.replacingOccurrences(of: "  COUNT(*) AS orders,\n", with: "  COUNT(*) AS orders,\n  COUNT(DISTINCT user_id) AS customers,\n")
        }
        try editView(fixture, "daily_orders.json") {
            $0.replacingOccurrences(of: "Orders per day and currency", with: "Orders and customers per day and currency")
        }

        let shown = try fixture.spoolctl(["tables", "create"])
        #expect(shown.code == 2, "stdout: \(shown.stdout) stderr: \(shown.stderr)")
        #expect(shown.stdout.contains("✗ view \(fixture.dataset).daily_orders differs from its files; left untouched\n"))
        #expect(shown.stdout.contains("    query differs from daily_orders.sql (- BigQuery, + the file):\n      + COUNT(DISTINCT user_id) AS customers,\n"), "\(shown.stdout)")
        #expect(shown.stdout.contains(#"    description: "Orders per day and currency"#))
        #expect(shown.stdout.contains("    run again with --apply-views to replace it"))
        #expect(shown.stdout.lines(startingWith: "✓ view").count == 3, "the other views are unchanged")
        #expect(try !fixture.client.query("SELECT * FROM `\(Emulator.project).\(fixture.dataset).daily_orders`").fieldNames.contains("customers"))

        let doctor = try fixture.spoolctl(["doctor"])
        #expect(doctor.code == 2)
        #expect(doctor.stdout.contains("✗ view \(fixture.dataset).daily_orders does not match its files (2 differences)"))

        let applied = try fixture.spoolctl(["tables", "create", "--apply-views"])
        #expect(applied.code == 0, "stdout: \(applied.stdout) stderr: \(applied.stderr)")
        #expect(applied.stdout.contains("✓ view \(fixture.dataset).daily_orders replaced\n"))
        #expect(try fixture.client.query("SELECT * FROM `\(Emulator.project).\(fixture.dataset).daily_orders`").fieldNames.contains("customers"))
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "daily_orders").description?.hasPrefix("Orders and customers") == true)
        let again = try fixture.spoolctl(["tables", "create"])
        #expect(again.code == 0, "stdout: \(again.stdout)")
        #expect(again.stdout.contains("✓ view \(fixture.dataset).daily_orders exists with the same query and settings"))
    }

    @Test("a materialized view's changed description is patched only with --apply-views, and it stays a materialized view")
    func materializedViewSettingsArePatched() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(views: true)
        #expect(try fixture.spoolctl(["tables", "create"]).code == 0)
        try editView(fixture, "user_category_affinity.json") {
            $0.replacingOccurrences(of: "Per user and category:", with: "Per user and category (v2):")
        }
        let shown = try fixture.spoolctl(["tables", "create"])
        #expect(shown.code == 2, "stdout: \(shown.stdout) stderr: \(shown.stderr)")
        #expect(shown.stdout.contains("✗ materialized view \(fixture.dataset).user_category_affinity differs from its files; left untouched"))
        #expect(shown.stdout.contains("    run again with --apply-views to update its description and refresh settings"))

        let applied = try fixture.spoolctl(["tables", "create", "--apply-views"])
        #expect(applied.code == 0, "stdout: \(applied.stdout) stderr: \(applied.stderr)")
        #expect(applied.stdout.contains("✓ materialized view \(fixture.dataset).user_category_affinity settings updated"))
        let resource = try fixture.client.getTable(dataset: fixture.dataset, table: "user_category_affinity")
        #expect(resource.type == "MATERIALIZED_VIEW")
        #expect(resource.description?.hasPrefix("Per user and category (v2):") == true)
    }

    @Test("doctor reports each configured view that does not exist, exit 2")
    func doctorReportsMissingViews() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(views: true)
        try Emulator.createSeedTables(endpoint: fixture.endpoint, dataset: fixture.dataset)
        try fixture.makeSpool()
        let result = try fixture.spoolctl(["doctor"])
        #expect(result.code == 2, "stdout: \(result.stdout) stderr: \(result.stderr)")
        for name in Self.viewNames {
            #expect(result.stdout.contains("✗ view \(fixture.dataset).\(name) not found: create it with `spoolctl tables create`"))
        }
        #expect(result.stdout.contains("✗ materialized view \(fixture.dataset).user_category_affinity not found"))
        #expect(result.stdout.lines(startingWith: "✓ table").count == 5)
    }
}

extension ViewsTests {
    @Test("schemas.views is read relative to the configuration file, SPOOL_VIEWS overrides it, and a bad view file is a configuration error naming it")
    func viewsFolderInTheConfigurationFile() throws {
        let fixture = try ProvisioningFixture()
        try fixture.writeConfiguration(views: true)
        let file = try SpoolConfigurationFile.load(path: fixture.configPath, environment: [:])
        #expect(file.viewsDirectory == fixture.viewsDirectory.standardizedFileURL.path)
        #expect(file.views.map(\.name) == Self.viewNames + ["user_category_affinity"])

        let other = fixture.directory.file("other-views")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: false)
        try Data("SELECT 1 AS one".utf8).write(to: other.appendingPathComponent("one.sql"))
        let overridden = try SpoolConfigurationFile.load(path: fixture.configPath, environment: ["SPOOL_VIEWS": other.path])
        #expect(overridden.views == [ViewDefinition(name: "one", sql: "SELECT 1 AS one")])

        try Data(#"{"kind": "snapshot"}"#.utf8).write(to: other.appendingPathComponent("one.json"))
        let error = #expect(throws: SpoolError.self) {
            try SpoolConfigurationFile.load(path: fixture.configPath, environment: ["SPOOL_VIEWS": other.path])
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("one.json: field 'kind': must be \"view\" or \"materializedView\"") == true, "\(String(describing: error))")
        let command = try fixture.spoolctl(["doctor"], environment: ["SPOOL_VIEWS": other.path])
        #expect(command.code == 2, "stdout: \(command.stdout) stderr: \(command.stderr)")
        #expect(command.stdout.contains("✗ configuration: views in \(other.path): "))
    }

    @Test("a view named like an event table is refused before any request; the tables are still created")
    func viewNamedLikeATableIsRefused() throws {
        let fixture = try ProvisioningFixture()
        try writeViews(fixture, ["user_search_events.sql": "SELECT 1 AS one"])
        try fixture.writeConfiguration(views: true)
        let result = try fixture.spoolctl(["tables", "create"])
        #expect(result.code == 2, "stdout: \(result.stdout) stderr: \(result.stderr)")
        #expect(result.stdout.contains("✗ view \(fixture.dataset).user_search_events not created: user_search_events.sql has the name of an event table"))
        #expect(try fixture.client.getTable(dataset: fixture.dataset, table: "user_search_events").type == "TABLE")
    }
}
