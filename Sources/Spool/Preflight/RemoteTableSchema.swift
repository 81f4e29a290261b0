import BigQueryREST
import SpoolSchema

extension TableResource {
    /// The live table's schema. Types are kept as the server spells them (the emulator echoes `INT64`, BigQuery
    /// answers `INTEGER`); `TableSchema.differences(from:)` compares normalized kinds, so both match a file.
    ///
    /// - Throws: `SchemaError` when the answer holds no readable schema (a table created without columns).
    public func tableSchema() throws(SchemaError) -> TableSchema {
        try TableSchema(json: .object(schema), file: "the schema of \(datasetID).\(tableID)")
    }
}
