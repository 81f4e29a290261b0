import BigQueryREST
import Spool

/// What `spoolctl tables create` will create, worked out from the configuration before any request: the datasets,
/// and for each configured event table its BigQuery table, schema, partitioning and clustering — or why it cannot
/// be created.
struct ProvisioningPlan {
    struct TablePlan {
        var eventTable: String
        var dataset: String
        var table: String
        var schema: TableSchema?
        var partitioning: TimePartitioning?
        var clustering: [String]?
        /// Why the table cannot be created as configured; nil when it can.
        var problem: String?

        var name: String { "\(eventTable) → \(dataset).\(table)" }
    }

    /// A view of the views folder, created in the destination dataset after the tables.
    struct ViewPlan {
        var definition: ViewDefinition
        var dataset: String
        /// The query with `${dataset}` replaced by the destination's `project.dataset`.
        var query: String
        /// Why the view cannot be created as configured; nil when it can.
        var problem: String?

        var name: String { "\(definition.kind.spelled) \(dataset).\(definition.name)" }
    }

    var location: String
    var datasets: [String]
    var tables: [TablePlan]
    var views: [ViewPlan]
    /// Configuration mistakes that belong to no single table.
    var problems: [String]

    /// Column types BigQuery can cluster on.
    private static let clusterableKinds: Set<FieldType.Kind> = [
        .string, .integer, .numeric, .bigNumeric, .boolean, .timestamp, .date, .datetime, .geography, .range,
    ]

    init(configuration: SpoolConfigurationFile, destination: Destination) {
        let settings = configuration.provisioning
        let schemas = configuration.spool.schemas
        location = settings.location
        problems = []
        let eventTables = Set(schemas.keys).union(destination.tables.keys).sorted()
        datasets = [destination.dataset]
        tables = []
        for eventTable in eventTables {
            let target = destination.target(for: eventTable)
            if !datasets.contains(target.dataset) { datasets.append(target.dataset) }
            var plan = TablePlan(eventTable: eventTable, dataset: target.dataset, table: target.table, schema: schemas[eventTable])
            if let schema = plan.schema {
                do throws(PlanError) {
                    plan.partitioning = try Self.partitioning(settings, schema: schema)
                    plan.clustering = try Self.clustering(settings.clustering[eventTable], schema: schema)
                } catch {
                    plan.problem = error.message
                }
            } else {
                let folder = configuration.schemasDirectory.map { " in \($0)" } ?? " (no schemas.directory is configured)"
                plan.problem = "no schema file \(eventTable).json\(folder)"
            }
            tables.append(plan)
        }
        views = configuration.views.map { definition in
            var plan = ViewPlan(
                definition: definition, dataset: destination.dataset,
                query: definition.query(project: destination.project, dataset: destination.dataset)
            )
            if !BigQueryIdentifier.isValidTableID(definition.name) {
                plan.problem = "\(definition.name).sql: \"\(definition.name)\" is not a valid BigQuery table id (letters, digits and underscores)"
            }
            return plan
        }
        let tableNames = Set(tables.map { "\($0.dataset).\($0.table)".lowercased() })
        for index in views.indices where tableNames.contains("\(views[index].dataset).\(views[index].definition.name)".lowercased()) {
            views[index].problem = "\(views[index].definition.name).sql has the name of an event table"
        }
        for table in settings.clustering.keys.sorted() where schemas[table] == nil {
            problems.append("provisioning.clustering names \(table), which has no schema file")
        }
    }

    private struct PlanError: Error {
        var message: String
    }

    private static func partitioning(_ settings: ProvisioningSettings, schema: TableSchema) throws(PlanError) -> TimePartitioning? {
        guard let name = settings.partitionField else { return nil }
        guard let field = topLevelField(name, in: schema), [.timestamp, .date, .datetime].contains(field.type.kind), field.mode != .repeated else {
            throw PlanError(message: "provisioning.partitionField \"\(name)\" is not a TIMESTAMP, DATE or DATETIME column of the schema")
        }
        return TimePartitioning(type: "DAY", field: field.name, expirationMs: settings.partitionExpirationMs)
    }

    private static func clustering(_ names: [String]?, schema: TableSchema) throws(PlanError) -> [String]? {
        guard let names else { return nil }
        var columns: [String] = []
        for name in names {
            guard let field = topLevelField(name, in: schema) else {
                throw PlanError(message: "clustering column \"\(name)\" is not a column of the schema")
            }
            guard field.mode != .repeated, clusterableKinds.contains(field.type.kind) else {
                throw PlanError(message: "clustering column \"\(name)\" is \(field.type.spelling) \(field.mode.rawValue); BigQuery clusters only on non-repeated scalar columns (not FLOAT, BYTES, JSON or RECORD)")
            }
            columns.append(field.name)
        }
        return columns
    }

    private static func topLevelField(_ name: String, in schema: TableSchema) -> FieldSchema? {
        schema.fields.first { $0.name.lowercased() == name.lowercased() }
    }
}

extension TimePartitioning {
    /// `partitioned by day on timestamp, partitions expire after 400 days`.
    var summary: String {
        var text = "partitioned by \(type.lowercased()) on \(field ?? "ingestion time")"
        if let expirationMs {
            let days = Double(expirationMs) / 86_400_000
            text += days == days.rounded() ? ", partitions expire after \(Int64(days)) days" : ", partitions expire after \(expirationMs) ms"
        }
        return text
    }
}
