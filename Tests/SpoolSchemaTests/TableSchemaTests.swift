import Foundation
import Testing

@testable import SpoolSchema

@Suite("Table schemas")
struct TableSchemaTests {
    static let fieldArray = #"""
        [
          {"name": "event_id", "type": "STRING", "mode": "REQUIRED", "policyTags": {"names": []}},
          {"name": "count", "type": "INT64"},
          {"name": "props", "type": "STRUCT", "fields": [{"name": "source", "type": "STRING"}]},
          {"name": "price", "type": "NUMERIC", "precision": "10", "scale": "2"},
          {"name": "span", "type": "RANGE", "rangeElementType": {"type": "DATE"}}
        ]
        """#

    @Test("the bq show array form loads, keeping spellings and ignoring unknown keys")
    func arrayFormLoads() throws {
        let schema = try TableSchema(jsonData: Array(Self.fieldArray.utf8))
        #expect(schema.fields.map(\.name) == ["event_id", "count", "props", "price", "span"])
        #expect(schema.fields[0].mode == .required)
        #expect(schema.fields[1].type.spelling == "INT64")
        #expect(schema.fields[1].type.kind == .integer)
        #expect(schema.fields[1].mode == .nullable)
        #expect(schema.fields[2].type.kind == .record)
        #expect(schema.fields[2].fields.map(\.name) == ["source"])
        #expect(schema.fields[3].precision == "10" && schema.fields[3].scale == "2")
        #expect(schema.fields[4].rangeElementType?.type.kind == .date)
    }

    @Test("the fields object and the tables.get resource forms load the same schema")
    func otherFormsLoad() throws {
        let expected = try TableSchema(jsonData: Array(Self.fieldArray.utf8))
        let fieldsForm = try TableSchema(jsonData: Array("{\"fields\": \(Self.fieldArray)}".utf8))
        let resourceForm = try TableSchema(
            jsonData: Array("{\"kind\": \"bigquery#table\", \"schema\": {\"fields\": \(Self.fieldArray)}, \"numRows\": \"0\"}".utf8))
        #expect(fieldsForm == expected)
        #expect(resourceForm == expected)
    }

    @Test("JSON already parsed (a tables.get answer's schema object) reads as its text does, and is refused alike")
    func parsedJSONLoads() throws {
        let expected = try TableSchema(jsonData: Array(Self.fieldArray.utf8))
        let schemaObject = try JSONParser.parse("{\"fields\": \(Self.fieldArray)}")
        #expect(try TableSchema(json: schemaObject) == expected)
        #expect(try TableSchema(json: JSONParser.parse(Self.fieldArray)) == expected)
        let error = #expect(throws: SchemaError.self) { try TableSchema(json: .object(["fields": .array([])]), file: "tables.get d.t") }
        #expect(error?.code == .notASchema)
        #expect(error?.file == "tables.get d.t")
    }

    @Test("jsonData writes the array form that loads back to the same schema")
    func jsonDataRoundTrips() throws {
        let schema = try TableSchema(jsonData: Array(Self.fieldArray.utf8))
        for pretty in [true, false] {
            let data = schema.jsonData(pretty: pretty)
            #expect(try TableSchema(jsonData: data) == schema)
            #expect(data.first == UInt8(ascii: "["))
        }
    }

    @Test(
        "bad schema files give an error that names the file, the field and the problem",
        arguments: [
            ("not json at all", SchemaError.Code.notJSON, nil as String?, "not valid JSON"),
            (#"{"rows": []}"#, .notASchema, nil, "expected an array of fields"),
            (#"[{"name": "a", "type": "STRNG"}]"#, .unknownType, "a", "unknown type 'STRNG'"),
            (#"[{"name": "a", "type": "STRING"}, {"name": "A", "type": "INTEGER"}]"#, .duplicateFieldName, "A", "duplicate field name"),
            (
                #"[{"name": "r", "type": "RECORD", "fields": [{"name": "x", "type": "STRING"}, {"name": "X", "type": "STRING"}]}]"#,
                .duplicateFieldName, "r.X", "duplicate field name"
            ),
            (#"[{"name": "r", "type": "RECORD"}]"#, .recordWithoutFields, "r", "needs at least one sub-field"),
            (#"[{"name": "r", "type": "RECORD", "fields": []}]"#, .recordWithoutFields, "r", "needs at least one sub-field"),
            (#"[{"name": "a.b", "type": "STRING"}]"#, .invalidFieldName, "a.b", "invalid field name"),
            (#"[{"name": "", "type": "STRING"}]"#, .invalidFieldName, "", "it is empty"),
            (#"[{"name": "_PARTITIONTIME", "type": "STRING"}]"#, .invalidFieldName, "_PARTITIONTIME", "reserved"),
            (#"[{"name": "a", "type": "STRING", "mode": "OPTIONAL"}]"#, .invalidMode, "a", "invalid mode 'OPTIONAL'"),
            (#"[{"type": "STRING"}]"#, .invalidAttribute, "#1", "'name' is missing"),
            (#"[{"name": "s", "type": "RANGE"}]"#, .invalidAttribute, "s", "rangeElementType"),
            (#"[{"name": "n", "type": "NUMERIC", "precision": "40", "scale": "2"}]"#, .invalidAttribute, "n", "out of range"),
            (#"[{"name": "s", "type": "STRING", "fields": [{"name": "x", "type": "STRING"}]}]"#, .invalidAttribute, "s", "only RECORD"),
            ("[]", .notASchema, nil, "no fields"),
        ])
    func badFilesGiveClearErrors(text: String, code: SchemaError.Code, path: String?, fragment: String) {
        do {
            _ = try TableSchema(jsonData: Array(text.utf8), file: "events.json")
            Issue.record("accepted a bad schema")
        } catch {
            #expect(error.code == code)
            #expect(error.fieldPath == path)
            #expect(error.description.hasPrefix("events.json: "))
            #expect(error.description.contains(fragment), "\(error.description)")
        }
    }

    @Test("schemas built in code are checked like files")
    func codeSchemasAreChecked() {
        #expect(throws: SchemaError.self) {
            try TableSchema(fields: [FieldSchema(name: "a", type: .string), FieldSchema(name: "A", type: .string)])
        }
        #expect(throws: SchemaError.self) { try TableSchema(fields: [FieldSchema(name: "r", type: .record)]) }
        #expect(throws: Never.self) { try TableSchema(fields: [FieldSchema(name: "a", type: .string, mode: .required)]) }
    }

    @Test("FieldSchema is Codable in BigQuery's JSON shape")
    func fieldSchemaIsCodable() throws {
        let field = FieldSchema(
            name: "items", type: FieldType(spelling: "STRUCT")!, mode: .repeated,
            fields: [FieldSchema(name: "sku", type: .string, mode: .required)], description: "d")
        let data = try JSONEncoder().encode(field)
        #expect(try JSONDecoder().decode(FieldSchema.self, from: data) == field)
        let minimal = try JSONDecoder().decode(FieldSchema.self, from: Data(#"{"name":"x","type":"bool"}"#.utf8))
        #expect(minimal.mode == .nullable && minimal.type.kind == .boolean && minimal.type.spelling == "BOOL")
    }
}

@Suite("Schema folders and the example schemas")
struct SchemaDirectoryTests {
    /// The package root: this file is Tests/SpoolSchemaTests/<file>.swift.
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let examples = packageRoot.appendingPathComponent("examples/leafloaf/schemas")

    @Test("the five example schemas load, with the columns every table shares")
    func exampleSchemasLoad() throws {
        let schemas = try SchemaDirectory.load(from: Self.examples)
        #expect(
            Set(schemas.keys) == [
                "user_search_events", "product_interaction_events", "cart_modification_events", "order_transaction_events",
                "recommendation_impression_events",
            ])
        for (table, schema) in schemas {
            let byName = Dictionary(uniqueKeysWithValues: schema.fields.map { ($0.name, $0) })
            #expect(byName["event_id"]?.type.kind == .string, "\(table)")
            #expect(byName["timestamp"]?.type.kind == .timestamp, "\(table)")
            #expect(byName["user_id"]?.type.kind == .string, "\(table)")
            #expect(byName["session_id"]?.type.kind == .string, "\(table)")
            guard table != "user_search_events" else { continue }
            #expect(byName["event_id"]?.mode == .required && byName["timestamp"]?.mode == .required, "\(table)")
            #expect(byName["event_properties"]?.type.kind == .record && byName["event_properties"]?.mode == .nullable, "\(table)")
        }
        // The seed's own table (bq mk in seed/bigquery-integration-status.md): flat, every column NULLABLE, categories
        // one STRING of JSON text.
        let search = try #require(schemas["user_search_events"])
        #expect(search.fields.map(\.name) == [
            "event_id", "user_id", "session_id", "query", "intent", "alpha_value", "results_count", "categories", "response_time_ms", "timestamp",
        ])
        #expect(search.fields.allSatisfy { $0.mode == .nullable && $0.fields.isEmpty })
        #expect(search.fields.map(\.type.kind) == [.string, .string, .string, .string, .string, .float, .integer, .string, .integer, .timestamp])
        let items = try #require(schemas["order_transaction_events"]?.fields.first { $0.name == "items" })
        #expect(items.type.kind == .record && items.mode == .repeated)
    }

    @Test("a bad file in a folder is named in the error")
    func badFileIsNamed() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"[{"name": "a", "type": "STRING"}]"#.utf8).write(to: folder.appendingPathComponent("good.json"))
        try Data("README".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        #expect(try SchemaDirectory.load(from: folder).keys.sorted() == ["good"])
        try Data(#"[{"name": "a", "type": "TEXT"}]"#.utf8).write(to: folder.appendingPathComponent("bad.json"))
        do {
            _ = try SchemaDirectory.load(from: folder)
            Issue.record("loaded a folder with a bad file")
        } catch {
            #expect(error.code == .unknownType)
            #expect(error.file?.hasSuffix("bad.json") == true)
            #expect(error.description.contains("bad.json: field 'a': unknown type 'TEXT'"))
        }
    }

    @Test("a missing folder is an unreadable error")
    func missingFolder() {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spool-missing-\(UUID().uuidString)")
        #expect(throws: SchemaError.self) { try SchemaDirectory.load(from: folder) }
    }
}
