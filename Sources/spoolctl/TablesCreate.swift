import ArgumentParser
import BigQueryREST
import Foundation
import Logging
import Spool

/// `spoolctl tables …`: BigQuery tables from the schema files.
struct Tables: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create the BigQuery dataset, tables and views the schema and view files describe.",
        subcommands: [Create.self]
    )
}

extension Tables {
    /// `spoolctl tables create`: the dataset and every configured table, idempotently.
    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create the dataset, every configured table from its schema file, then the views (safe to run again).",
            discussion: """
                Creates the destination dataset (in provisioning.location, default US) and, for every schema file, its \
                table with the configured day partitioning, partition expiration and clustering. An existing table \
                with the same columns is left as it is; one whose columns differ is reported field by field and left \
                untouched, unless every difference is a new NULLABLE or REPEATED column and --apply-additive is given.
                Then the views of schemas.views: each query is checked by BigQuery (a dry run) and the view created; an \
                existing view whose query or settings differ from its files is shown and left as it is, unless \
                --apply-views is given (a plain view is replaced, a materialized view's settings are patched; a \
                materialized view whose query changed is never dropped: drop it yourself and run this again).
                Exit status: 0 when every dataset and table exists as configured, 2 when something differs or failed, \
                1 when the configuration cannot be used.
                """
        )

        @OptionGroup var options: ProvisioningOptions

        @Flag(name: .long, help: "Add the schema files' new NULLABLE/REPEATED columns to existing tables (tables.patch).")
        var applyAdditive = false

        @Flag(name: .long, help: "Replace plain views whose query or description differ from their files, and patch materialized views' settings.")
        var applyViews = false

        func run() throws {
            let configuration: SpoolConfigurationFile
            do {
                configuration = try options.loadConfiguration().file
            } catch {
                printError("spoolctl: \(error.message)")
                throw ExitCode(1)
            }
            guard let destination = configuration.destination else {
                printError("spoolctl: no BigQuery destination: set destination.project and destination.dataset in the configuration file (or SPOOL_PROJECT and SPOOL_DATASET)")
                throw ExitCode(1)
            }
            guard !configuration.spool.schemas.isEmpty else {
                printError("spoolctl: no table schemas: set schemas.directory in the configuration file (or SPOOL_SCHEMAS) to a folder of <table>.json files")
                throw ExitCode(1)
            }
            let credentials: any AccessTokenProvider
            do {
                credentials = try configuration.uploader.credentials.makeProvider(endpoint: destination.endpoint)
            } catch {
                printError("spoolctl: credentials: \(error.message)")
                throw ExitCode(1)
            }
            let client = ProvisioningConnection.client(configuration, destination: destination, credentials: credentials)
            let plan = ProvisioningPlan(configuration: configuration, destination: destination)
            var provisioner = TableProvisioner(client: client, project: destination.project, applyAdditive: applyAdditive, applyViews: applyViews)
            provisioner.run(plan)
            if !provisioner.allGood {
                throw ExitCode(2)
            }
        }
    }
}

/// Carries out a `ProvisioningPlan`, printing one line per dataset and table (✓ or ✗) with details indented.
struct TableProvisioner {
    let client: BigQueryClient
    let project: String
    let applyAdditive: Bool
    let applyViews: Bool
    private(set) var allGood = true
    private(set) var unusableDatasets: Set<String> = []
    /// `INFORMATION_SCHEMA.VIEWS` per dataset, read once, for servers whose `tables.get` leaves out a view's query.
    var viewDefinitions: [String: [String: String]] = [:]

    init(client: BigQueryClient, project: String, applyAdditive: Bool, applyViews: Bool = false) {
        self.client = client
        self.project = project
        self.applyAdditive = applyAdditive
        self.applyViews = applyViews
    }

    mutating func run(_ plan: ProvisioningPlan) {
        for problem in plan.problems {
            report(false, problem)
        }
        for dataset in plan.datasets {
            createDataset(dataset, location: plan.location)
        }
        for table in plan.tables {
            guard !unusableDatasets.contains(table.dataset) else {
                report(false, "table \(table.name) not created: its dataset is not available")
                continue
            }
            createTable(table)
        }
        for view in plan.views {
            provisionView(view)
        }
    }

    private mutating func createDataset(_ dataset: String, location: String) {
        let name = "\(project):\(dataset)"
        do throws(BigQueryError) {
            try client.insertDataset(dataset: dataset, location: location)
            report(true, "dataset \(name) created (location \(location))")
        } catch where error.isDuplicate {
            let existing = try? client.getDataset(dataset: dataset)
            var details: [String] = []
            if let found = existing?.location, found.lowercased() != location.lowercased() {
                details.append("note: it is in \(found), not in the configured \(location); a dataset's location cannot change")
            }
            report(true, "dataset \(name) exists\(existing?.location.map { " (location \($0))" } ?? "")", details: details)
        } catch {
            unusableDatasets.insert(dataset)
            report(false, "dataset \(name) could not be created: \(error.failure)")
        }
    }

    private mutating func createTable(_ plan: ProvisioningPlan.TablePlan) {
        guard let schema = plan.schema, plan.problem == nil else {
            report(false, "table \(plan.name) not created: \(plan.problem ?? "no schema")")
            return
        }
        do throws(BigQueryError) {
            try client.insertTable(
                dataset: plan.dataset, table: plan.table, schemaFields: schema.jsonData(pretty: false),
                timePartitioning: plan.partitioning, clustering: plan.clustering
            )
            var layout = [plan.partitioning?.summary, plan.clustering.map { "clustered by \($0.joined(separator: ", "))" }].compactMap { $0 }
            if layout.isEmpty { layout = ["not partitioned"] }
            report(true, "table \(plan.name) created (\(schema.fields.count) columns, \(layout.joined(separator: "; ")))")
        } catch where error.isDuplicate {
            compareExisting(plan, schema: schema)
        } catch {
            report(false, "table \(plan.name) could not be created: \(error.failure)")
        }
    }

    /// An existing table: the same columns is fine; different ones are shown and left alone (or patched when every
    /// difference is additive and `--apply-additive` was given).
    private mutating func compareExisting(_ plan: ProvisioningPlan.TablePlan, schema: TableSchema) {
        let resource: TableResource
        let remote: TableSchema
        do {
            resource = try client.getTable(dataset: plan.dataset, table: plan.table)
            remote = try resource.tableSchema()
        } catch {
            report(false, "table \(plan.name) exists but cannot be compared: \(error)")
            return
        }
        let notes = layoutNotes(plan, resource)
        let differences = schema.differences(from: remote)
        if differences.isEmpty {
            report(true, "table \(plan.name) exists with the same columns", details: notes)
            return
        }
        let explained = differences.map(\.explanation)
        guard differences.isPurelyAdditive else {
            report(false, "table \(plan.name) exists with different columns; left untouched", details: explained + notes + [
                "BigQuery cannot change or remove existing columns in place: write to a new table, or migrate this one by hand",
            ])
            return
        }
        guard applyAdditive else {
            report(false, "table \(plan.name) lacks \(differences.count == 1 ? "a column" : "\(differences.count) columns") of its schema file; left untouched", details: explained + notes + [
                "every difference is a new NULLABLE/REPEATED column: run again with --apply-additive to add them",
            ])
            return
        }
        do {
            let fields = ProvisioningSchemaMerge.merged(remote: remote.fields, local: schema.fields)
            try client.patchTable(dataset: plan.dataset, table: plan.table, schemaFields: TableSchema(fields: fields).jsonData(pretty: false))
            report(true, "table \(plan.name) patched: added \(differences.map(\.path).joined(separator: ", "))", details: notes)
        } catch {
            report(false, "table \(plan.name) could not be patched: \(error)", details: explained)
        }
    }

    /// Partitioning and clustering that differ from the configuration: shown, never changed.
    private func layoutNotes(_ plan: ProvisioningPlan.TablePlan, _ resource: TableResource) -> [String] {
        var notes: [String] = []
        let live = resource.timePartitioning
        let wanted = plan.partitioning
        let samePartitioning = live?.type.uppercased() == wanted?.type.uppercased()
            && live?.field?.lowercased() == wanted?.field?.lowercased() && live?.expirationMs == wanted?.expirationMs
        if !samePartitioning {
            notes.append("note: the table is \(live?.summary ?? "not partitioned"); the configuration says \(wanted?.summary ?? "not partitioned") (not changed)")
        }
        let liveClustering = resource.clustering ?? []
        let wantedClustering = plan.clustering ?? []
        if liveClustering.map({ $0.lowercased() }) != wantedClustering.map({ $0.lowercased() }) {
            let describe = { (columns: [String]) in columns.isEmpty ? "no clustering" : "clustering by \(columns.joined(separator: ", "))" }
            notes.append("note: the table has \(describe(liveClustering)); the configuration says \(describe(wantedClustering)) (not changed)")
        }
        return notes
    }

    mutating func report(_ passed: Bool, _ line: String, details: [String] = []) {
        if !passed { allGood = false }
        Output.line("\(passed ? "✓" : "✗") \(line)")
        for detail in details {
            Output.line("    \(detail)")
        }
    }
}
