import Testing

@testable import SpoolSchema

/// A one-column table `{"v": <type>}` and the verdict for `{"v": <json>}`.
struct TypeCase: CustomTestStringConvertible, Sendable {
    let type: String
    let json: String
    /// nil: accepted.
    let message: String?
    var schemaExtras = ""

    var testDescription: String { "\(type) ← \(json)" + (message == nil ? " accepted" : " refused") }

    func verdict() throws -> RowError? {
        let schema = try TableSchema(jsonData: Array(#"[{"name": "v", "type": "\#(type)"\#(schemaExtras)}]"#.utf8))
        return RowValidator(schema: schema).validate(json: #"{"v": \#(json)}"#)
    }
}

private func accepted(_ type: String, _ json: String, extras: String = "") -> TypeCase {
    TypeCase(type: type, json: json, message: nil, schemaExtras: extras)
}

private func refused(_ type: String, _ json: String, _ message: String, extras: String = "") -> TypeCase {
    TypeCase(type: type, json: json, message: message, schemaExtras: extras)
}

@Suite("Row validator: each type's conversion rules")
struct RowValidatorTypeTests {
    static let cases: [TypeCase] = [
        // STRING: strings and numbers (converted to text); never booleans or objects.
        accepted("STRING", #""hello""#),
        accepted("STRING", "12"),
        accepted("STRING", "12.5"),
        accepted("STRING", #""""#),
        refused("STRING", "true", "Conversion from bool to string is unsupported."),
        refused("STRING", #"{"a": 1}"#, "This field: v is not a record."),
        accepted("STRING", #""abc""#, extras: #", "maxLength": "3""#),
        refused("STRING", #""abcd""#, "Field v: length 4 exceeds the maximum length 3.", extras: #", "maxLength": "3""#),
        // BYTES: base64.
        accepted("BYTES", #""aGVsbG8=""#),
        accepted("BYTES", #""aGVsbG8""#),
        accepted("BYTES", #""-_-_""#),
        accepted("BYTES", #""""#),
        refused("BYTES", #""not base64!""#, "Failed to decode bytes input. Byte fields must be base64 encoded."),
        refused("BYTES", #""a""#, "Failed to decode bytes input. Byte fields must be base64 encoded."),
        refused("BYTES", #""aGVsbG8===""#, "Failed to decode bytes input. Byte fields must be base64 encoded."),
        refused("BYTES", "12", "Failed to decode bytes input. Byte fields must be base64 encoded."),
        // INTEGER: whole numbers within int64, as numbers or strings.
        accepted("INTEGER", "12"),
        accepted("INT64", "-9223372036854775808"),
        accepted("INTEGER", "9223372036854775807"),
        accepted("INTEGER", #""42""#),
        accepted("INTEGER", "12.0"),
        accepted("INTEGER", #""1.0""#),
        accepted("INTEGER", "1e2"),
        refused("INTEGER", "12.7", "Cannot convert value to integer (bad value): 12.7"),
        refused("INTEGER", #""12.7""#, "Cannot convert value to integer (bad value): 12.7"),
        refused("INTEGER", "9223372036854775808", "Cannot convert value to integer (bad value): 9223372036854775808"),
        refused("INTEGER", "92233720368547758080", "Cannot convert value to integer (bad value): 92233720368547758080"),
        refused("INTEGER", #""abc""#, "Cannot convert value to integer (bad value): abc"),
        refused("INTEGER", #"" 12""#, "Cannot convert value to integer (bad value):  12"),
        refused("INTEGER", "true", "Cannot convert value to integer (bad value): true"),
        refused("INTEGER", "1e-2", "Cannot convert value to integer (bad value): 1e-2"),
        // FLOAT: numbers, numeric strings and the special values.
        accepted("FLOAT", "1.5"),
        accepted("FLOAT64", "-3"),
        accepted("FLOAT", #""2.5e10""#),
        accepted("FLOAT", #""NaN""#),
        accepted("FLOAT", #""Infinity""#),
        accepted("FLOAT", #""-Infinity""#),
        accepted("FLOAT", "92233720368547758080"),
        refused("FLOAT", #""abc""#, "Cannot convert value to floating point (bad value): abc"),
        refused("FLOAT", "1e400", "Cannot convert value to floating point (bad value): 1e400"),
        refused("FLOAT", #""0x10""#, "Cannot convert value to floating point (bad value): 0x10"),
        refused("FLOAT", "false", "Cannot convert value to floating point (bad value): false"),
        // NUMERIC: 29 integer digits, 9 fraction digits; parameterized NUMERIC(P, S).
        accepted("NUMERIC", "1255139.628052805"),
        accepted("NUMERIC", #""99999999999999999999999999999.999999999""#),
        accepted("NUMERIC", #""-0.000000001""#),
        accepted("NUMERIC", "1.5000000000000"),
        refused("NUMERIC", "55.066315446079813", "Invalid NUMERIC value: 55.066315446079813"),
        refused("NUMERIC", #""100000000000000000000000000000""#, "Invalid NUMERIC value: 100000000000000000000000000000"),
        refused("NUMERIC", #""abc""#, "Invalid NUMERIC value: abc"),
        refused("NUMERIC", "true", "Invalid NUMERIC value: true"),
        accepted("NUMERIC", "123.45", extras: #", "precision": "5", "scale": "2""#),
        accepted("NUMERIC", "123.456", extras: #", "precision": "5", "scale": "2""#),
        refused("NUMERIC", "1234.5", "Invalid NUMERIC value: 1234.5", extras: #", "precision": "5", "scale": "2""#),
        // BIGNUMERIC: 38 fraction digits and up to 5.78e38.
        accepted("BIGNUMERIC", #""0.12345678901234567890123456789012345678""#),
        accepted("BIGNUMERIC", #""578960446186580977117854925043439539266.34992332820282019728792003956564819967""#),
        accepted("BIGNUMERIC", #""99999999999999999999999999999999999999""#),
        refused(
            "BIGNUMERIC", #""578960446186580977117854925043439539267""#,
            "Invalid BIGNUMERIC value: 578960446186580977117854925043439539267"),
        refused(
            "BIGNUMERIC", #""0.123456789012345678901234567890123456789""#,
            "Invalid BIGNUMERIC value: 0.123456789012345678901234567890123456789"),
        // BOOLEAN: booleans and "true"/"false" in any case.
        accepted("BOOLEAN", "true"),
        accepted("BOOL", "false"),
        accepted("BOOLEAN", #""TRUE""#),
        accepted("BOOLEAN", #""False""#),
        refused("BOOLEAN", #""1""#, "Cannot convert string value to boolean: 1"),
        refused("BOOLEAN", #""yes""#, "Cannot convert string value to boolean: yes"),
        refused("BOOLEAN", "1", "Cannot convert value to boolean (bad value): 1"),
        // TIMESTAMP: canonical strings with Z, offsets or UTC; epoch seconds as numbers.
        accepted("TIMESTAMP", #""2024-05-01 12:30:00""#),
        accepted("TIMESTAMP", #""2024-05-01T12:30:00.123456Z""#),
        accepted("TIMESTAMP", #""2024-05-01T12:30:00.123456789+02:00""#),
        accepted("TIMESTAMP", #""2024-5-1 1:02""#),
        accepted("TIMESTAMP", #""2024-05-01 12:30:00 UTC""#),
        accepted("TIMESTAMP", #""2024-05-01 12:30:00-0530""#),
        accepted("TIMESTAMP", #""2024-05-01 12:30:00+5""#),
        accepted("TIMESTAMP", #""2024-02-29 00:00:00""#),
        accepted("TIMESTAMP", "1714566600"),
        accepted("TIMESTAMP", "1714566600.123456"),
        accepted("TIMESTAMP", "-62135596800"),
        accepted("TIMESTAMP", #""9999-12-31 23:59:59.999999Z""#),
        accepted("TIMESTAMP", #""0001-01-01 00:00:00""#),
        refused("TIMESTAMP", #""2014-09-27 12:30:00.00 America/Los_Angeles""#, "Unrecognized timezone: America/Los_Angeles"),
        refused(
            "TIMESTAMP", #""BAD VALUE""#,
            "Could not parse 'BAD VALUE' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"),
        refused(
            "TIMESTAMP", #""2024-05-01""#,
            "Could not parse '2024-05-01' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"),
        refused(
            "TIMESTAMP", #""2023-02-29 00:00:00""#,
            "Could not parse '2023-02-29 00:00:00' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"),
        refused(
            "TIMESTAMP", #""2024-05-01 24:00:00""#,
            "Could not parse '2024-05-01 24:00:00' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"),
        refused("TIMESTAMP", "1625786389636999936", "Timestamp field value is out of range: 1625786389636999936"),
        refused("TIMESTAMP", #""0001-01-01 00:00:00+01:00""#, "Timestamp field value is out of range: 0001-01-01 00:00:00+01:00"),
        refused(
            "TIMESTAMP", "true", "Could not parse 'true' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"),
        // DATE, TIME, DATETIME.
        accepted("DATE", #""2024-05-01""#),
        accepted("DATE", #""2024-5-1""#),
        refused("DATE", #""2023-07-26Z""#, "Invalid date: '2023-07-26Z'"),
        refused("DATE", #""2024-13-01""#, "Invalid date: '2024-13-01'"),
        refused("DATE", #""2024-05-01T00:00:00""#, "Invalid date: '2024-05-01T00:00:00'"),
        refused("DATE", "20240501", "Invalid date: '20240501'"),
        accepted("TIME", #""12:30:00""#),
        accepted("TIME", #""23:59:59.999999""#),
        refused("TIME", #""12:30""#, "Invalid time: '12:30'"),
        refused("TIME", #""25:00:00""#, "Invalid time: '25:00:00'"),
        accepted("DATETIME", #""2024-05-01 12:30:00""#),
        accepted("DATETIME", #""2024-05-01T12:30:00.5""#),
        accepted("DATETIME", #""2024-05-01""#),
        refused("DATETIME", #""2024-05-01T12:30:00Z""#, "Invalid datetime: '2024-05-01T12:30:00Z'"),
        // GEOGRAPHY: WKT, WKB hex, GeoJSON geometry.
        accepted("GEOGRAPHY", #""POINT(18.6294 -33.8943)""#),
        accepted("GEOGRAPHY", #""POLYGON((0 0, 1 0, 1 1, 0 0))""#),
        accepted("GEOGRAPHY", #""GEOMETRYCOLLECTION(POINT(1 2), LINESTRING(0 0, 1 1))""#),
        accepted("GEOGRAPHY", #""POINT EMPTY""#),
        accepted("GEOGRAPHY", #""{\"type\": \"Point\", \"coordinates\": [1, 2]}""#),
        accepted("GEOGRAPHY", #""0101000000000000000000F03F0000000000000040""#),
        refused("GEOGRAPHY", #""CIRCLE(1 2)""#, "Invalid GEOGRAPHY value: 'CIRCLE(1 2)' is not WKT, WKB or a GeoJSON geometry."),
        refused("GEOGRAPHY", #""POINT(1 2""#, "Invalid GEOGRAPHY value: 'POINT(1 2' is not WKT, WKB or a GeoJSON geometry."),
        refused(
            "GEOGRAPHY", #""{\"type\": \"Feature\"}""#,
            #"Invalid GEOGRAPHY value: '{"type": "Feature"}' is not WKT, WKB or a GeoJSON geometry."#),
        // JSON: any value; a string must hold JSON text.
        accepted("JSON", #"{"a": [1, 2]}"#),
        accepted("JSON", "12"),
        accepted("JSON", #""{\"a\": 1}""#),
        accepted("JSON", #""[1,2,3]""#),
        refused("JSON", #""{key: \"value\"}""#, "Failed to parse JSON: syntax error while parsing value at byte 1: unexpected character"),
        refused("JSON", #""{\"key\": \"value\",}""#, "Failed to parse JSON: syntax error while parsing value at byte 16: unexpected character"),
        // RANGE: "[start, end)" or {"start", "end"}.
        accepted("RANGE", #""[2024-01-01, 2024-02-01)""#, extras: #", "rangeElementType": {"type": "DATE"}"#),
        accepted("RANGE", #""[UNBOUNDED, 2024-02-01)""#, extras: #", "rangeElementType": {"type": "DATE"}"#),
        accepted("RANGE", #"{"start": "2024-01-01 00:00:00", "end": null}"#, extras: #", "rangeElementType": {"type": "TIMESTAMP"}"#),
        refused(
            "RANGE", #""[2024-01-01, 2024-02-01]""#, "Invalid RANGE value: [2024-01-01, 2024-02-01]",
            extras: #", "rangeElementType": {"type": "DATE"}"#),
        refused(
            "RANGE", #"{"from": "2024-01-01"}"#, #"Invalid RANGE value: {"from":"2024-01-01"}"#,
            extras: #", "rangeElementType": {"type": "DATE"}"#),
    ]

    @Test("values are accepted or refused with BigQuery's message at the field's location", arguments: cases)
    func conversion(testCase: TypeCase) throws {
        let verdict = try testCase.verdict()
        if let message = testCase.message {
            #expect(verdict == .invalid(location: "v", message: message))
        } else {
            #expect(verdict == nil)
        }
    }

    @Test("quoted values are cut to 128 characters")
    func quotedValuesAreCut() throws {
        let long = String(repeating: "x", count: 500)
        let verdict = try #require(try refused("INTEGER", "\"\(long)\"", "").verdict())
        #expect(verdict.message == "Cannot convert value to integer (bad value): " + String(repeating: "x", count: 128) + "…")
    }
}
