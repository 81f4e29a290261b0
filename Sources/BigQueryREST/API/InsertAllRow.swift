/// One row for `tabledata.insertAll`.
public struct InsertAllRow: Sendable {
    /// BigQuery's best-effort de-duplication key; send the same id on every try of the same row.
    public var insertId: String
    /// The row as JSON object text. It is spliced into the request unchanged, so it must already be valid.
    public var json: String

    public init(insertId: String, json: String) {
        self.insertId = insertId
        self.json = json
    }
}
