import Foundation
import Logging
import SpoolJSON

extension BigQueryClient {
    /// `tables.get`: the table's schema and layout.
    public func getTable(dataset: String, table: String) throws(BigQueryError) -> TableResource {
        let operation = "tables.get \(dataset).\(table)"
        let path = try tablePath(dataset: dataset, table: table).get(operation)
        let response = try execute(.get, path: path, metadata: ["bigquery.table": "\(dataset).\(table)"]).get(operation)
        guard let object = response.jsonObject else {
            throw BigQueryError(operation: operation, failure: .garbage(response, expected: "a table resource"))
        }
        let schema = object["schema"]?.objectValue ?? ["fields": .array([])]
        let reference = object["tableReference"]?.objectValue
        var partitioning: TimePartitioning?
        if let raw = object["timePartitioning"]?.objectValue {
            partitioning = TimePartitioning(
                type: raw["type"]?.stringValue ?? "DAY",
                field: raw["field"]?.stringValue,
                expirationMs: raw["expirationMs"]?.int64Value
            )
        }
        let clustering = object["clustering"]?.objectValue?["fields"]?.arrayValue.flatMap { fields in
            // All or nothing, as a list of column names must be.
            let names = fields.compactMap(\.stringValue)
            return names.count == fields.count ? names : nil
        }
        var materializedView: MaterializedViewResource?
        if let raw = object["materializedView"]?.objectValue {
            materializedView = MaterializedViewResource(
                query: raw["query"]?.stringValue,
                enableRefresh: raw["enableRefresh"]?.boolValue,
                refreshIntervalMs: raw["refreshIntervalMs"]?.int64Value
            )
        }
        return TableResource(
            projectID: reference?["projectId"]?.stringValue ?? project,
            datasetID: reference?["datasetId"]?.stringValue ?? dataset,
            tableID: reference?["tableId"]?.stringValue ?? table,
            schema: schema,
            timePartitioning: partitioning,
            clustering: clustering,
            type: object["type"]?.stringValue,
            location: object["location"]?.stringValue,
            description: object["description"]?.stringValue,
            viewQuery: object["view"]?.objectValue?["query"]?.stringValue,
            materializedView: materializedView
        )
    }

    /// `datasets.insert`. An existing dataset fails with reason `duplicate` (`BigQueryError.isDuplicate`).
    public func insertDataset(dataset: String, location: String? = nil) throws(BigQueryError) {
        let operation = "datasets.insert \(dataset)"
        let projectPath = try projectPath().get(operation)
        _ = try datasetPath(dataset: dataset).get(operation)
        var body: [UInt8] = []
        JSONText.append(#"{"datasetReference":{"projectId":"#, to: &body)
        JSONText.appendString(project, to: &body)
        JSONText.append(#","datasetId":"#, to: &body)
        JSONText.appendString(dataset, to: &body)
        JSONText.append("}", to: &body)
        if let location {
            JSONText.append(#","location":"#, to: &body)
            JSONText.appendString(location, to: &body)
        }
        JSONText.append("}", to: &body)
        _ = try execute(.post, path: projectPath + "/datasets", jsonBody: body, metadata: ["bigquery.dataset": "\(dataset)"])
            .get(operation)
    }

    /// `tables.insert` with the given schema fields (a JSON array of field objects, spliced as it is).
    /// An existing table fails with reason `duplicate` (`BigQueryError.isDuplicate`).
    public func insertTable(
        dataset: String,
        table: String,
        schemaFields: Data,
        timePartitioning: TimePartitioning? = nil,
        clustering: [String]? = nil
    ) throws(BigQueryError) {
        let operation = "tables.insert \(dataset).\(table)"
        _ = try tablePath(dataset: dataset, table: table).get(operation)
        let datasetPath = try datasetPath(dataset: dataset).get(operation)
        try checkFieldsArray(schemaFields, operation: operation)
        var body = tableResourceStart(dataset: dataset, table: table)
        JSONText.append(#","schema":{"fields":"#, to: &body)
        body.append(contentsOf: schemaFields)
        JSONText.append("}", to: &body)
        if let timePartitioning {
            JSONText.append(#","timePartitioning":{"type":"#, to: &body)
            JSONText.appendString(timePartitioning.type, to: &body)
            if let field = timePartitioning.field {
                JSONText.append(#","field":"#, to: &body)
                JSONText.appendString(field, to: &body)
            }
            if let expiration = timePartitioning.expirationMs {
                // int64 values travel as JSON strings in BigQuery's API.
                JSONText.append(#","expirationMs":"#, to: &body)
                JSONText.appendString(String(expiration), to: &body)
            }
            JSONText.append("}", to: &body)
        }
        if let clustering, !clustering.isEmpty {
            JSONText.append(#","clustering":{"fields":["#, to: &body)
            for (position, field) in clustering.enumerated() {
                if position > 0 { body.append(UInt8(ascii: ",")) }
                JSONText.appendString(field, to: &body)
            }
            JSONText.append("]}", to: &body)
        }
        JSONText.append("}", to: &body)
        _ = try execute(
            .post, path: datasetPath + "/tables", jsonBody: body, metadata: ["bigquery.table": "\(dataset).\(table)"]
        ).get(operation)
    }

    /// `tables.patch` of the schema: BigQuery accepts added NULLABLE/REPEATED columns and relaxed modes.
    public func patchTable(dataset: String, table: String, schemaFields: Data) throws(BigQueryError) {
        let operation = "tables.patch \(dataset).\(table)"
        let path = try tablePath(dataset: dataset, table: table).get(operation)
        try checkFieldsArray(schemaFields, operation: operation)
        var body: [UInt8] = []
        JSONText.append(#"{"schema":{"fields":"#, to: &body)
        body.append(contentsOf: schemaFields)
        JSONText.append("}}", to: &body)
        _ = try execute(.patch, path: path, jsonBody: body, metadata: ["bigquery.table": "\(dataset).\(table)"])
            .get(operation)
    }

    /// `{"tableReference":{…}`: the start of a table resource, to be continued with `,"key":…` and closed with `}`.
    func tableResourceStart(dataset: String, table: String) -> [UInt8] {
        var body: [UInt8] = []
        JSONText.append(#"{"tableReference":{"projectId":"#, to: &body)
        JSONText.appendString(project, to: &body)
        JSONText.append(#","datasetId":"#, to: &body)
        JSONText.appendString(dataset, to: &body)
        JSONText.append(#","tableId":"#, to: &body)
        JSONText.appendString(table, to: &body)
        JSONText.append("}", to: &body)
        return body
    }

    private func checkFieldsArray(_ fields: Data, operation: String) throws(BigQueryError) {
        guard (try? JSONParser.parse(fields))?.arrayValue != nil else {
            throw BigQueryError(
                operation: operation,
                failure: RequestFailure(kind: .invalidRequest, message: "schemaFields is not a JSON array of fields")
            )
        }
    }
}

extension Result where Failure == RequestFailure {
    /// The value, or a `BigQueryError` naming the operation.
    func get(_ operation: String) throws(BigQueryError) -> Success {
        switch self {
        case .success(let value): return value
        case .failure(let failure): throw BigQueryError(operation: operation, failure: failure)
        }
    }
}
