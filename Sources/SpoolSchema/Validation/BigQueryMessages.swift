/// The wording of insertAll row errors, in one place.
///
/// Where the words come from ("real insertAll answers": wording seen in BigQuery's answers, as README's `schema check`
/// section quotes some of it; "ours" marks wording we could not find quoted from the real service;
/// the verdict follows BigQuery's documented rules, the sentence is our own):
///
/// | message | source |
/// |---|---|
/// | `Cannot convert value to integer (bad value): 12.7` | real insertAll answers; apache/beam#25228 (insertAll accepts 1, "1", 1.0, "1.0" into INTEGER, refuses a non-zero fraction) |
/// | `Cannot convert value to floating point (bad value): abc` | real insertAll answers; googleapis/nodejs-bigquery#45 |
/// | `Invalid NUMERIC value: 55.066315446079813` (too many fraction digits is refused, not rounded) | GoogleCloudPlatform/DataflowTemplates#1138, googleapis/nodejs-bigquery#1221 |
/// | `Invalid BIGNUMERIC value: V` | by analogy with NUMERIC |
/// | `Cannot convert string value to boolean: 1` | confluentinc/kafka-connect-bigquery#176 |
/// | `Conversion from bool to string is unsupported.` (numbers into STRING are converted) | googleapis/google-cloud-node#2052 |
/// | `Failed to decode bytes input. Byte fields must be base64 encoded.` | real insertAll answers |
/// | `This field: event_properties is not a record.` (object into a non-RECORD column) | the seed's server log; real insertAll answers |
/// | `Cannot convert std::string to a record field:optional .Msg_0_CLOUD_QUERY_TABLE.Msg_1_… name = N;` | real insertAll answers; proto naming from googleapis/google-cloud-python#3695 (`optional .Msg_0_CLOUD_QUERY_TABLE.Msg_1_CLOUD_QUERY_TABLE_user user = 2;`) |
/// | `Array specified for non-repeated field: value.` at location `fields[0].value` (leaf name in the message, indexed path in the location) | glific/glific#3477 |
/// | `no such field: step.` at location `step`; nested locations dotted (`user.translator_type`) | google/weather-tools#94; GoogleCloudPlatform/kubernetes-bigquery-python#18 |
/// | `Missing required fields: Msg_0_CLOUD_QUERY_TABLE.event_id, ….` (one error per row, empty location) | real insertAll answers |
/// | `Unrecognized timezone: America/Los_Angeles` — insertAll does not know IANA zone names | googleapis/nodejs-bigquery#859 |
/// | `Could not parse 'BAD VALUE' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]` | googleapis/google-cloud-ruby#1579 |
/// | `Timestamp field value is out of range: 1625786389636999936` (numbers are epoch seconds) | GoogleCloudPlatform/DataflowTemplates#269 |
/// | `Invalid date: '2023-07-26Z'` | GoogleCloudPlatform/DataflowTemplates#1345 |
/// | `Invalid datetime: 'V'`, `Invalid time: 'V'` | by analogy with DATE |
/// | JSON column: a string must hold JSON text; BigQuery's message contains `syntax error while parsing` | googleapis/google-cloud-php (BigQuery/tests/System/LoadDataAndQueryTest.php, invalidJsonProvider) |
/// | null elements inside a REPEATED array are refused (wording ours) | googleapis/google-cloud-dotnet#897 |
/// | a non-array for a REPEATED field: `Repeated field must be imported as a JSON array. Field: X.` | BigQuery's load-job wording, r-dbi/bigrquery#485 |
/// | `Request payload size exceeds the limit: 10485760 bytes.` (a row alone over the 10 MB request limit) | real insertAll answers (whole-request answer) |
/// | `Schema nested too deeply for field a.b…, maximum allowed depth is 15.` (RECORD fields nest 15 levels at most) | bxparks/bigquery-schema-generator#51 |
/// | boolean/number into INTEGER, FLOAT, BOOLEAN …; GEOGRAPHY; RANGE; maxLength | ours |
///
/// Two documented choices: null for a REPEATED field is accepted as an empty array (a false accept
/// only costs a round trip, BigQuery still gives the verdict; a false reject would dead-letter a
/// good row), and 1e2 is accepted into INTEGER as 100 (not verified against the service; a false accept is
/// the cheap mistake for the same reason).
enum BigQueryMessages {
    /// Values quoted in messages are cut here, to keep dead-letter rows small.
    static let quotedValueLimit = 128

    static func quoted(_ value: JSONValue) -> String {
        let text: String
        switch value {
        case .string(let string): text = string
        case .number(let literal): text = literal
        case .bool(let flag): text = flag ? "true" : "false"
        case .null: text = "null"
        case .array, .object: text = value.serialized()
        }
        guard text.count > quotedValueLimit else { return text }
        return String(text.prefix(quotedValueLimit)) + "…"
    }

    static func noSuchField(_ name: String) -> String { "no such field: \(name)." }
    static func notARecord(_ name: String) -> String { "This field: \(name) is not a record." }
    static func arrayForNonRepeated(_ name: String) -> String { "Array specified for non-repeated field: \(name)." }
    static func repeatedNeedsArray(_ name: String) -> String {
        "Repeated field must be imported as a JSON array. Field: \(name)."
    }
    static func nullInRepeated(_ name: String) -> String {
        "Null value is not allowed in repeated field: \(name)."
    }
    static func missingRequired(_ paths: [String]) -> String {
        "Missing required fields: " + paths.map { "Msg_0_CLOUD_QUERY_TABLE.\($0)" }.joined(separator: ", ") + "."
    }

    static func notConvertibleToRecord(_ value: JSONValue, declaration: String) -> String {
        let sourceType: String
        switch value {
        case .string: sourceType = "std::string"
        case .bool: sourceType = "bool"
        case .number(let literal): sourceType = DecimalText(literal)?.int64 != nil && !literal.contains(".") ? "int64" : "double"
        default: sourceType = "value"
        }
        return "Cannot convert \(sourceType) to a record field:\(declaration)"
    }

    static func badInteger(_ value: JSONValue) -> String { "Cannot convert value to integer (bad value): \(quoted(value))" }
    static func badFloat(_ value: JSONValue) -> String {
        "Cannot convert value to floating point (bad value): \(quoted(value))"
    }
    static func badNumeric(_ value: JSONValue, big: Bool) -> String {
        "Invalid \(big ? "BIGNUMERIC" : "NUMERIC") value: \(quoted(value))"
    }
    static func badBoolean(_ value: JSONValue) -> String {
        if case .string = value { return "Cannot convert string value to boolean: \(quoted(value))" }
        return "Cannot convert value to boolean (bad value): \(quoted(value))"
    }
    static let boolToString = "Conversion from bool to string is unsupported."
    static let badBytes = "Failed to decode bytes input. Byte fields must be base64 encoded."
    static func tooLong(_ name: String, limit: Int, length: Int) -> String {
        "Field \(name): length \(length) exceeds the maximum length \(limit)."
    }
    static func badTimestamp(_ value: JSONValue) -> String {
        "Could not parse '\(quoted(value))' as a timestamp. Required format is YYYY-MM-DD HH:MM[:SS[.SSSSSS]]"
    }
    static func timestampOutOfRange(_ value: JSONValue) -> String {
        "Timestamp field value is out of range: \(quoted(value))"
    }
    static func unrecognizedTimezone(_ name: String) -> String { "Unrecognized timezone: \(name)" }
    static func badDate(_ value: JSONValue) -> String { "Invalid date: '\(quoted(value))'" }
    static func badDatetime(_ value: JSONValue) -> String { "Invalid datetime: '\(quoted(value))'" }
    static func badTime(_ value: JSONValue) -> String { "Invalid time: '\(quoted(value))'" }
    static func badGeography(_ value: JSONValue) -> String {
        "Invalid GEOGRAPHY value: '\(quoted(value))' is not WKT, WKB or a GeoJSON geometry."
    }
    static func badJSON(_ error: JSONParseError) -> String {
        "Failed to parse JSON: syntax error while parsing value at byte \(error.offset): \(error.code)"
    }
    static func badRange(_ value: JSONValue) -> String { "Invalid RANGE value: \(quoted(value))" }
    static let rowNotJSON = "Row is not valid JSON"
    static let requestTooLarge = "Request payload size exceeds the limit: \(RowValidator.maximumRequestBytes) bytes."
    static func nestedTooDeeply(_ path: String) -> String {
        "Schema nested too deeply for field \(path), maximum allowed depth is \(RowValidator.maximumNestingDepth)."
    }
    static let rowNotObject = "Row is not a JSON object."
}
