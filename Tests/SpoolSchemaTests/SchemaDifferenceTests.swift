import Testing

@testable import SpoolSchema

@Suite("Schema differences")
struct SchemaDifferenceTests {
    static func schema(_ text: String) throws -> TableSchema {
        try TableSchema(jsonData: Array(text.utf8))
    }

    static let live = #"""
        [{"name": "event_id", "type": "STRING", "mode": "REQUIRED"},
         {"name": "count", "type": "INTEGER"},
         {"name": "gone", "type": "STRING"},
         {"name": "event_properties", "type": "RECORD", "fields": [{"name": "source", "type": "STRING"}]}]
        """#

    @Test("identical schemas, and different spellings of one type, have no differences")
    func noDifferences() throws {
        let a = try Self.schema(Self.live)
        let b = try Self.schema(Self.live.replacingOccurrences(of: "INTEGER", with: "INT64").replacingOccurrences(of: "RECORD", with: "STRUCT"))
        #expect(b.differences(from: a).isEmpty)
        #expect(b.differences(from: a).isPurelyAdditive)
    }

    @Test("added nullable and repeated columns, also nested, are purely additive")
    func additiveChanges() throws {
        let live = try Self.schema(Self.live)
        let file = try Self.schema(
            #"""
            [{"name": "event_id", "type": "STRING", "mode": "REQUIRED"},
             {"name": "count", "type": "INTEGER"},
             {"name": "gone", "type": "STRING"},
             {"name": "tags", "type": "STRING", "mode": "REPEATED"},
             {"name": "event_properties", "type": "RECORD", "fields": [{"name": "source", "type": "STRING"}, {"name": "page", "type": "INTEGER"}]}]
            """#)
        let differences = file.differences(from: live)
        #expect(differences.map(\.path) == ["tags", "event_properties.page"])
        #expect(differences.isPurelyAdditive)
    }

    @Test("removed columns, type and mode changes and new required columns are not additive")
    func nonAdditiveChanges() throws {
        let live = try Self.schema(Self.live)
        let file = try Self.schema(
            #"""
            [{"name": "event_id", "type": "STRING", "mode": "NULLABLE"},
             {"name": "count", "type": "FLOAT"},
             {"name": "must", "type": "STRING", "mode": "REQUIRED"},
             {"name": "event_properties", "type": "RECORD", "fields": [{"name": "source", "type": "BYTES"}]}]
            """#)
        let differences = file.differences(from: live)
        #expect(
            differences == [
                .modeChanged(path: "event_id", from: .required, to: .nullable),
                .typeChanged(path: "count", from: .integer, to: .float),
                .added(path: "must", field: FieldSchema(name: "must", type: .string, mode: .required)),
                .typeChanged(path: "event_properties.source", from: .string, to: .bytes),
                .removed(path: "gone", field: FieldSchema(name: "gone", type: .string)),
            ])
        #expect(!differences.isPurelyAdditive)
        #expect(differences.filter(\.isAdditive).isEmpty)
    }
}
