import Foundation
import SpoolJSON

extension BigQueryClient {
    /// `tables.insert` of a logical view (GoogleSQL). BigQuery checks the query; an existing table fails with reason
    /// `duplicate` (`BigQueryError.isDuplicate`).
    public func insertView(dataset: String, table: String, query: String, description: String?) throws(BigQueryError) {
        let operation = "tables.insert \(dataset).\(table)"
        let datasetPath = try datasetPath(dataset: dataset).get(operation)
        _ = try tablePath(dataset: dataset, table: table).get(operation)
        let body = viewBody(dataset: dataset, table: table, query: query, description: description)
        _ = try execute(.post, path: datasetPath + "/tables", jsonBody: body, metadata: ["bigquery.table": "\(dataset).\(table)"])
            .get(operation)
    }

    /// `tables.update` of a logical view: replaces its query and description.
    public func updateView(dataset: String, table: String, query: String, description: String?) throws(BigQueryError) {
        let operation = "tables.update \(dataset).\(table)"
        let path = try tablePath(dataset: dataset, table: table).get(operation)
        let body = viewBody(dataset: dataset, table: table, query: query, description: description)
        _ = try execute(.put, path: path, jsonBody: body, metadata: ["bigquery.table": "\(dataset).\(table)"]).get(operation)
    }

    /// Creates a materialized view with the `CREATE MATERIALIZED VIEW` statement (partitioned by `partitionField`,
    /// a DATE column of the result, when given). Its description and refresh settings are set afterwards with
    /// `patchMaterializedView`: the BigQuery emulator runs this statement only without `OPTIONS`.
    public func createMaterializedView(dataset: String, table: String, query: String, partitionField: String?) throws(BigQueryError) {
        let operation = "CREATE MATERIALIZED VIEW \(dataset).\(table)"
        _ = try tablePath(dataset: dataset, table: table).get(operation)
        if let partitionField, partitionField.isEmpty || partitionField.contains(where: { !($0.isLetter || $0.isNumber || $0 == "_") }) {
            throw BigQueryError(operation: operation, failure: RequestFailure(kind: .invalidRequest, message: "\"\(partitionField.prefix(80))\" is not a plain column name"))
        }
        var statement = "CREATE MATERIALIZED VIEW `\(project).\(dataset).\(table)`"
        if let partitionField {
            statement += " PARTITION BY \(partitionField)"
        }
        statement += " AS\n" + query
        do {
            _ = try self.query(statement)
        } catch {
            throw BigQueryError(operation: operation, failure: error.failure)
        }
    }

    /// `tables.patch` of a materialized view's description and refresh settings (nil: unchanged).
    public func patchMaterializedView(
        dataset: String, table: String, description: String?, enableRefresh: Bool?, refreshIntervalMs: Int64?
    ) throws(BigQueryError) {
        let operation = "tables.patch \(dataset).\(table)"
        let path = try tablePath(dataset: dataset, table: table).get(operation)
        // `type` is output-only for BigQuery, which ignores it here; the emulator would otherwise turn the
        // patched table into a plain view.
        var body: [UInt8] = []
        JSONText.append(#"{"type":"MATERIALIZED_VIEW""#, to: &body)
        if let description {
            JSONText.append(#","description":"#, to: &body)
            JSONText.appendString(description, to: &body)
        }
        if enableRefresh != nil || refreshIntervalMs != nil {
            JSONText.append(#","materializedView":{"#, to: &body)
            var members: [String] = []
            if let enableRefresh { members.append(#""enableRefresh":\#(enableRefresh)"#) }
            // int64 values travel as JSON strings in BigQuery's API.
            if let refreshIntervalMs { members.append(#""refreshIntervalMs":"\#(refreshIntervalMs)""#) }
            body.append(contentsOf: members.joined(separator: ",").utf8)
            JSONText.append("}", to: &body)
        }
        JSONText.append("}", to: &body)
        _ = try execute(.patch, path: path, jsonBody: body, metadata: ["bigquery.table": "\(dataset).\(table)"]).get(operation)
    }

    /// The stored query of every view of `dataset` (`INFORMATION_SCHEMA.VIEWS`), by view name: for servers whose
    /// `tables.get` does not report `view.query` (the emulator).
    public func viewDefinitions(dataset: String) throws(BigQueryError) -> [String: String] {
        let operation = "INFORMATION_SCHEMA.VIEWS of \(dataset)"
        _ = try datasetPath(dataset: dataset).get(operation)
        let result: QueryResult
        do {
            result = try query("SELECT table_name, view_definition FROM `\(project).\(dataset).INFORMATION_SCHEMA.VIEWS`")
        } catch {
            throw BigQueryError(operation: operation, failure: error.failure)
        }
        var definitions: [String: String] = [:]
        for row in result.rows where row.count >= 2 {
            if let name = row[0], let definition = row[1] {
                definitions[name] = definition
            }
        }
        return definitions
    }

    private func viewBody(dataset: String, table: String, query: String, description: String?) -> [UInt8] {
        var body = tableResourceStart(dataset: dataset, table: table)
        JSONText.append(#","view":{"query":"#, to: &body)
        JSONText.appendString(query, to: &body)
        JSONText.append(#","useLegacySql":false}"#, to: &body)
        if let description {
            JSONText.append(#","description":"#, to: &body)
            JSONText.appendString(description, to: &body)
        }
        JSONText.append("}", to: &body)
        return body
    }
}
