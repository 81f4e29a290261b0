import BigQueryREST

extension Emulator {
    /// `SELECT COUNT(*), COUNT(DISTINCT column)` of a table, through the query API: whether a table holds a row twice.
    public static func counts(endpoint: String, dataset: String, table: String, column: String = "event_id") throws -> (rows: Int, distinct: Int) {
        let result = try client(endpoint).query("SELECT COUNT(*), COUNT(DISTINCT \(column)) FROM `\(project).\(dataset).\(table)`")
        guard let row = result.rows.first, row.count == 2, let rows = row[0].flatMap({ Int($0) }), let distinct = row[1].flatMap({ Int($0) }) else {
            throw ChildProcessError(message: "the count query answered \(result.rows)")
        }
        return (rows, distinct)
    }
}
