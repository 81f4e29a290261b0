import Foundation

/// The columns of one BigQuery table.
public struct TableSchema: Sendable, Equatable {
    public var fields: [FieldSchema]

    /// A schema from fields, checked as a loaded file would be.
    public init(fields: [FieldSchema]) throws(SchemaError) {
        try SchemaReader.check(fields, parentPath: nil)
        self.fields = fields
    }

    /// A schema from JSON text in any of the three forms BigQuery tools write: the
    /// `bq show --schema --format=prettyjson` array of fields, `{"fields": [...]}`, or a tables.get
    /// resource `{"schema": {"fields": [...]}}`. `file` only names the source in errors.
    public init(jsonData: some Collection<UInt8>, file: String? = nil) throws(SchemaError) {
        let document: JSONValue
        do {
            document = try JSONParser.parse(jsonData)
        } catch {
            throw SchemaError(.notJSON, file: file, "not valid JSON (\(error))")
        }
        try self.init(json: document, file: file)
    }

    /// A schema from JSON already parsed (a tables.get answer's `schema`), in any of the forms `init(jsonData:)` reads.
    public init(json document: JSONValue, file: String? = nil) throws(SchemaError) {
        var reader = SchemaReader(file: file)
        self.fields = try reader.readDocument(document)
    }

    /// The schema in the array form that `bq mk --table … schema.json` and `bq show --schema` use.
    public func jsonData(pretty: Bool = true) -> Data {
        let value = JSONValue.array(fields.map(\.jsonValue))
        let text = pretty ? value.prettyPrinted() + "\n" : value.serialized()
        return Data(text.utf8)
    }
}
