import BigQueryStorageWrite
import Foundation
import SpoolSchema
import SwiftProtobuf
import Testing

/// Rows encoded by `ProtoRowEncoder` are byte for byte what Python's protobuf library writes for the same values
/// (`json_format.ParseDict` into a message class built from our descriptor, then `SerializeToString`).
@Suite struct ProtoRowEncoderTests {
    static let schema = #"""
        [
          {"name": "s", "type": "STRING"},
          {"name": "b", "type": "BYTES"},
          {"name": "i", "type": "INTEGER"},
          {"name": "f", "type": "FLOAT"},
          {"name": "n", "type": "NUMERIC"},
          {"name": "bn", "type": "BIGNUMERIC"},
          {"name": "ok", "type": "BOOLEAN"},
          {"name": "ts", "type": "TIMESTAMP"},
          {"name": "d", "type": "DATE"},
          {"name": "t", "type": "TIME"},
          {"name": "dt", "type": "DATETIME"},
          {"name": "g", "type": "GEOGRAPHY"},
          {"name": "j", "type": "JSON"},
          {"name": "rd", "type": "RANGE", "rangeElementType": {"type": "DATE"}},
          {"name": "rts", "type": "RANGE", "rangeElementType": {"type": "TIMESTAMP"}},
          {"name": "rdt", "type": "RANGE", "rangeElementType": {"type": "DATETIME"}},
          {"name": "req", "type": "STRING", "mode": "REQUIRED"},
          {"name": "tags", "type": "STRING", "mode": "REPEATED"},
          {"name": "nums", "type": "INT64", "mode": "REPEATED"},
          {"name": "rec", "type": "RECORD", "fields": [
            {"name": "a", "type": "INTEGER"},
            {"name": "inner", "type": "RECORD", "fields": [
              {"name": "x", "type": "FLOAT"}, {"name": "when", "type": "TIMESTAMP"}
            ]},
            {"name": "items", "type": "RECORD", "mode": "REPEATED", "fields": [
              {"name": "k", "type": "STRING"}, {"name": "v", "type": "NUMERIC"}
            ]}
          ]},
          {"name": "recs", "type": "STRUCT", "mode": "REPEATED", "fields": [
            {"name": "id", "type": "INT64", "mode": "REQUIRED"},
            {"name": "days", "type": "DATE", "mode": "REPEATED"}
          ]}
        ]
        """#

    /// (the row as the application appends it, the same values in protobuf's JSON mapping)
    static let cases: [(row: String, expected: String)] = [
        // Every type with an ordinary value; nested and repeated records.
        (
            #"""
            {"s": "héllo ✓", "b": "aGVsbG8=", "i": "123", "f": 1.5, "n": "123.4500",
             "bn": "578960446186580977117854925043439539266.34992332820282019728792003956564819967", "ok": true,
             "ts": "2024-05-06T07:08:09.123456Z", "d": "2024-05-06", "t": "7:8:9.5", "dt": "2024-05-06T07:08",
             "g": "POINT(1 2)", "j": {"a": [1, 2], "b": null}, "rd": "[2024-01-01, UNBOUNDED)",
             "rts": {"start": "2024-01-01 00:00:00 UTC", "end": null},
             "rdt": "[2024-01-01T10:00:00, 2024-01-02 00:00:00.5)", "req": "r", "tags": ["a", "", "c"],
             "nums": [1, -1, "9223372036854775807"],
             "rec": {"a": -5, "inner": {"x": -0.25, "when": 1714979289.5}, "items": [{"k": "x", "v": 1.5e2}, {"k": "y"}]},
             "recs": [{"id": 1, "days": ["1970-01-01", "1969-12-31"]}, {"id": 2}]}
            """#,
            #"""
            {"s": "héllo ✓", "b": "aGVsbG8=", "i": "123", "f": 1.5, "n": "123.45",
             "bn": "578960446186580977117854925043439539266.34992332820282019728792003956564819967", "ok": true,
             "ts": "1714979289123456", "d": 19849, "t": "07:08:09.500000", "dt": "2024-05-06 07:08:00",
             "g": "POINT(1 2)", "j": "{\"a\":[1,2],\"b\":null}", "rd": {"start": 19723},
             "rts": {"start": "1704067200000000"},
             "rdt": {"start": "2024-01-01 10:00:00", "end": "2024-01-02 00:00:00.500000"}, "req": "r",
             "tags": ["a", "", "c"], "nums": ["1", "-1", "9223372036854775807"],
             "rec": {"a": "-5", "inner": {"x": -0.25, "when": "1714979289500000"}, "items": [{"k": "x", "v": "150"}, {"k": "y"}]},
             "recs": [{"id": "1", "days": [0, -1]}, {"id": "2"}]}
            """#
        ),
        // The other forms BigQuery takes: numbers for strings, URL-safe base64, exponents, special floats, string
        // booleans, zone offsets, truncated fractions, GeoJSON, JSON given as text.
        (
            #"""
            {"s": 12.50, "b": "_-8", "i": 1e3, "f": "NaN", "n": -0.0100, "bn": "1e-38", "ok": "FALSE",
             "ts": "2024-05-06 07:08:09.1234567+02:00", "d": "0001-01-01", "t": "23:59:59",
             "dt": "2024-5-6 07:08:09.123", "g": "{\"type\": \"Point\", \"coordinates\": [1, 2]}", "j": "{\"x\": 1}",
             "req": "", "nums": []}
            """#,
            #"""
            {"s": "12.50", "b": "/+8=", "i": "1000", "f": "NaN", "n": "-0.01",
             "bn": "0.00000000000000000000000000000000000001", "ok": false, "ts": "1714972089123456", "d": -719162,
             "t": "23:59:59", "dt": "2024-05-06 07:08:09.123000",
             "g": "{\"type\": \"Point\", \"coordinates\": [1, 2]}", "j": "{\"x\": 1}", "req": ""}
            """#
        ),
        // Extremes, and the string form of an unbounded start.
        (
            #"""
            {"req": "x", "i": -9223372036854775808, "f": "-Infinity", "ok": "True", "ts": "0001-01-01 00:00:00",
             "rts": "[UNBOUNDED, 9999-12-31 23:59:59.999999+00)", "n": 0, "d": "9999-12-31"}
            """#,
            #"""
            {"req": "x", "i": "-9223372036854775808", "f": "-Infinity", "ok": true, "ts": "-62135596800000000",
             "rts": {"end": "253402300799999999"}, "n": "0", "d": 2932896}
            """#
        ),
        // Nulls and unknown keys are left out; keys match columns whatever their case; an empty record is present.
        (
            #"{"REQ": "x", "s": null, "unknown_key": 5, "tags": null, "rec": {"inner": null}, "Recs": []}"#,
            #"{"req": "x", "rec": {}}"#
        ),
    ]

    @Test func everyTypeEncodesAsPythonsProtobufDoes() throws {
        let encoder = try ProtoRowEncoder(schema: TableSchema(jsonData: Data(Self.schema.utf8)))
        let expected = try PythonProtobuf.serialize(descriptor: encoder.descriptor, rows: Self.cases.map(\.expected))
        for (index, testCase) in Self.cases.enumerated() {
            let encoded = try encoder.encode(testCase.row)
            #expect(encoded == expected[index], "case \(index): ours \(hex(encoded)) python \(hex(expected[index]))")
        }
    }

    @Test func theWriterSchemaIsSelfContainedWithProto2LabelsAndSchemaOrderNumbers() throws {
        let encoder = try ProtoRowEncoder(schema: TableSchema(jsonData: Data(Self.schema.utf8)))
        let descriptor = encoder.descriptor
        #expect(descriptor.name == "Row")
        #expect(descriptor.field.map(\.number) == Array(1...21))
        #expect(descriptor.field.map(\.name).prefix(4) == ["s", "b", "i", "f"])
        let byName = Dictionary(uniqueKeysWithValues: descriptor.field.map { ($0.name, $0) })
        #expect(byName["req"]?.label == .required)
        #expect(byName["tags"]?.label == .repeated)
        #expect(byName["s"]?.label == .optional)
        #expect(byName["ts"]?.type == .int64)
        #expect(byName["d"]?.type == .int32)
        #expect(byName["n"]?.type == .string)
        #expect(byName["f"]?.type == .double)
        // Nested messages are declared inside the root, referenced by names that resolve there.
        let nestedNames = Set(descriptor.nestedType.map(\.name))
        for field in descriptor.field where field.type == .message {
            #expect(nestedNames.contains(field.typeName), "\(field.name) → \(field.typeName)")
        }
        #expect(nestedNames == ["Range_14", "Range_15", "Range_16", "Record_20", "Record_20_Record_2", "Record_20_Record_3", "Record_21"])
        // Python builds a message class from it (done for every row above); an empty row is an empty message.
        let empty = try PythonProtobuf.serialize(descriptor: descriptor, rows: [#"{"req": "x"}"#])
        #expect(try encoder.encode(#"{"req": "x"}"#) == empty[0])
    }

    @Test func aValueThatCannotBeEncodedNamesItsColumnButNotItsValue() throws {
        let encoder = try ProtoRowEncoder(schema: TableSchema(jsonData: Data(Self.schema.utf8)))
        for (row, field) in [
            (#"{"req": "x", "i": "secret-abc"}"#, "i"), (#"{"req": "x", "rec": {"inner": {"when": "secret"}}}"#, "rec.inner.when"),
            (#"{"req": "x", "tags": "secret"}"#, "tags"), (#"{"req": "x", "b": "secret!"}"#, "b"),
        ] {
            #expect {
                _ = try encoder.encode(row)
            } throws: { error in
                guard let error = error as? ProtoRowEncodingError else { return false }
                return error.field == field && !error.description.contains("secret")
            }
        }
        #expect(throws: ProtoRowEncodingError.self) { _ = try encoder.encode("[1]") }
        #expect(throws: ProtoRowEncodingError.self) { _ = try encoder.encode("{") }
    }

    @Test func aColumnNameThatIsNoProtobufFieldNameIsRefused() throws {
        let schema = try TableSchema(fields: [FieldSchema(name: "has-dash", type: .string)])
        #expect {
            _ = try ProtoRowEncoder(schema: schema)
        } throws: { error in
            (error as? ProtoRowEncodingError)?.field == "has-dash"
        }
    }

    private func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }
}
