/// The rows of a finished query, every value as BigQuery's text: numbers and timestamps as strings,
/// NULL as nil, RECORD and REPEATED values as their JSON text in BigQuery's `f`/`v` form.
public struct QueryResult: Sendable {
    /// Top-level column names, in order.
    public var fieldNames: [String]
    public var rows: [[String?]]
    public var jobID: String?

    public init(fieldNames: [String], rows: [[String?]], jobID: String? = nil) {
        self.fieldNames = fieldNames
        self.rows = rows
        self.jobID = jobID
    }
}
