import Foundation
import SpoolTestSupport
import Testing

@testable import SpoolSchema

@Suite("Row validator: modes, nesting, unknown fields and the seed's rows")
struct RowValidatorRowTests {
    /// The search table with REQUIRED ids, REPEATED categories and a RECORD (the seed's own table is flat).
    static let searchSchema: TableSchema = SeedSchemas.searchWithRecords

    static let orderSchema: TableSchema = {
        let url = SchemaDirectoryTests.examples.appendingPathComponent("order_transaction_events.json")
        return try! TableSchema(jsonData: try! Data(contentsOf: url), file: url.lastPathComponent)
    }()

    /// A typical search event of the seed, as the fixed Python service would send it.
    static let goodSearchEvent = #"""
        {"event_id": "4f6c1c9e-8a55-4c1b-9f0e-2d3c6b7a8e91", "user_id": "user_8842", "session_id": "sess_31f9a2",
         "query": "organic gala apples", "intent": "product_search", "alpha_value": 0.7, "results_count": 24,
         "categories": ["produce", "fruit"], "response_time_ms": 182, "timestamp": "2025-06-14T18:22:05.412731Z",
         "event_properties": {"source": "web", "experiment": "ranker_b", "page": 1}}
        """#

    static func search(_ replacing: String, with replacement: String) -> String {
        precondition(goodSearchEvent.contains(replacing))
        return goodSearchEvent.replacingOccurrences(of: replacing, with: replacement)
    }

    @Test("a good seed event is accepted")
    func goodEventIsAccepted() {
        #expect(RowValidator(schema: Self.searchSchema).validate(json: Self.goodSearchEvent) == nil)
    }

    @Test("the seed's float response time is refused at response_time_ms")
    func seedFloatIntoInteger() {
        let row = Self.search(#""response_time_ms": 182"#, with: #""response_time_ms": 12.7"#)
        #expect(
            RowValidator(schema: Self.searchSchema).validate(json: row)
                == .invalid(location: "response_time_ms", message: "Cannot convert value to integer (bad value): 12.7"))
    }

    @Test("the seed's JSON-encoded event_properties string is refused at event_properties")
    func seedStringIntoRecord() throws {
        let row = Self.search(
            #"{"source": "web", "experiment": "ranker_b", "page": 1}"#,
            with: #""{\"source\": \"web\", \"page\": 1}""#)
        let error = try #require(RowValidator(schema: Self.searchSchema).validate(json: row))
        #expect(error.reason == "invalid")
        #expect(error.location == "event_properties")
        #expect(error.message.hasPrefix("Cannot convert std::string to a record field:"))
        #expect(
            error.message
                == "Cannot convert std::string to a record field:optional .Msg_0_CLOUD_QUERY_TABLE.Msg_1_CLOUD_QUERY_TABLE_event_properties event_properties = 11;"
        )
    }

    @Test("an object sent to a non-record column is 'not a record', as in the seed's log")
    func objectIntoNonRecord() {
        let row = Self.search(#""query": "organic gala apples""#, with: #""query": {"text": "apples"}"#)
        #expect(
            RowValidator(schema: Self.searchSchema).validate(json: row)
                == .invalid(location: "query", message: "This field: query is not a record."))
    }

    @Test("nested errors are located with dotted paths")
    func nestedLocations() {
        let row = Self.search(#""page": 1"#, with: #""page": "first""#)
        #expect(
            RowValidator(schema: Self.searchSchema).validate(json: row)
                == .invalid(location: "event_properties.page", message: "Cannot convert value to integer (bad value): first"))
    }

    @Test("errors inside repeated records are located with the element index")
    func repeatedRecordLocations() {
        let row = #"""
            {"event_id": "e1", "order_id": "o1", "timestamp": 1718389325,
             "items": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}, {"sku": "C", "quantity": 1.5}]}
            """#
        #expect(
            RowValidator(schema: Self.orderSchema).validate(json: row)
                == .invalid(location: "items[2].quantity", message: "Cannot convert value to integer (bad value): 1.5"))
        let unknown = row.replacingOccurrences(of: #"{"sku": "B", "quantity": 2}"#, with: #"{"sku": "B", "quantity": 2, "colour": "red"}"#)
        #expect(
            RowValidator(schema: Self.orderSchema).validate(json: unknown)
                == .invalid(location: "items[1].colour", message: "no such field: colour."))
    }

    @Test("the first error in the row's member order is the one reported")
    func firstErrorWins() {
        let row = Self.search(#""intent": "product_search""#, with: #""intent": true"#)
            .replacingOccurrences(of: #""response_time_ms": 182"#, with: #""response_time_ms": 12.7"#)
        #expect(RowValidator(schema: Self.searchSchema).validate(json: row)?.location == "intent")
    }

    @Test("missing or null required fields give one row error with an empty location")
    func missingRequiredFields() {
        let validator = RowValidator(schema: Self.searchSchema)
        let missingBoth = #"{"user_id": "u", "event_id": null}"#
        #expect(
            validator.validate(json: missingBoth)
                == .invalid(
                    location: "",
                    message: "Missing required fields: Msg_0_CLOUD_QUERY_TABLE.event_id, Msg_0_CLOUD_QUERY_TABLE.timestamp."))
        let missingOne = #"{"event_id": "e", "user_id": "u"}"#
        #expect(
            validator.validate(json: missingOne)
                == .invalid(location: "", message: "Missing required fields: Msg_0_CLOUD_QUERY_TABLE.timestamp."))
    }

    @Test("conversion errors are reported before missing required fields")
    func conversionBeforeMissing() {
        #expect(RowValidator(schema: Self.searchSchema).validate(json: #"{"results_count": "many"}"#)?.location == "results_count")
    }

    @Test("required fields of present nested records are checked, absent nullable records are not")
    func nestedRequired() {
        let validator = RowValidator(schema: Self.orderSchema)
        let base = #"{"event_id": "e1", "order_id": "o1", "timestamp": "2025-06-14 18:22:05""#
        #expect(validator.validate(json: base + "}") == nil)
        #expect(
            validator.validate(json: base + #", "items": [{"sku": "A", "quantity": 1}, {"quantity": 2}]}"#)
                == .invalid(location: "", message: "Missing required fields: Msg_0_CLOUD_QUERY_TABLE.items[1].sku."))
    }

    @Test("nullable columns accept null, repeated columns accept null and empty arrays")
    func nullsAndEmptyArrays() {
        let validator = RowValidator(schema: Self.searchSchema)
        #expect(validator.validate(json: Self.search(#""query": "organic gala apples""#, with: #""query": null"#)) == nil)
        #expect(validator.validate(json: Self.search(#"["produce", "fruit"]"#, with: "null")) == nil)
        #expect(validator.validate(json: Self.search(#"["produce", "fruit"]"#, with: "[]")) == nil)
        #expect(validator.validate(json: Self.search(#""experiment": "ranker_b", "#, with: "")) == nil)
        #expect(
            validator.validate(json: Self.search(#"{"source": "web", "experiment": "ranker_b", "page": 1}"#, with: "null")) == nil)
    }

    @Test("repeated columns need arrays without nulls; non-repeated columns refuse arrays")
    func repeatedRules() {
        let validator = RowValidator(schema: Self.searchSchema)
        #expect(
            validator.validate(json: Self.search(#"["produce", "fruit"]"#, with: #""produce""#))
                == .invalid(location: "categories", message: "Repeated field must be imported as a JSON array. Field: categories."))
        #expect(
            validator.validate(json: Self.search(#"["produce", "fruit"]"#, with: #"["produce", null]"#))
                == .invalid(location: "categories[1]", message: "Null value is not allowed in repeated field: categories."))
        #expect(
            validator.validate(json: Self.search(#"["produce", "fruit"]"#, with: #"["produce", true]"#))
                == .invalid(location: "categories[1]", message: "Conversion from bool to string is unsupported."))
        #expect(
            validator.validate(json: Self.search(#""results_count": 24"#, with: #""results_count": [24]"#))
                == .invalid(location: "results_count", message: "Array specified for non-repeated field: results_count."))
        #expect(
            validator.validate(json: Self.search(#""page": 1"#, with: #""page": [1]"#))
                == .invalid(location: "event_properties.page", message: "Array specified for non-repeated field: page."))
    }

    @Test("unknown fields are refused unless ignoreUnknownValues is set")
    func unknownFields() {
        let row = Self.search(#""intent": "product_search""#, with: #""intent": "product_search", "debug": {"x": 1}"#)
        #expect(
            RowValidator(schema: Self.searchSchema).validate(json: row)
                == .invalid(location: "debug", message: "no such field: debug."))
        #expect(RowValidator(schema: Self.searchSchema, ignoreUnknownValues: true).validate(json: row) == nil)
        let nested = Self.search(#""page": 1"#, with: #""page": 1, "referrer": "x""#)
        #expect(
            RowValidator(schema: Self.searchSchema).validate(json: nested)
                == .invalid(location: "event_properties.referrer", message: "no such field: referrer."))
    }

    @Test("column names match case-insensitively")
    func caseInsensitiveNames() {
        let row = Self.search(#""event_id""#, with: #""Event_ID""#).replacingOccurrences(of: #""timestamp""#, with: #""TIMESTAMP""#)
        #expect(RowValidator(schema: Self.searchSchema).validate(json: row) == nil)
    }

    @Test("texts that are not JSON objects are invalid rows with an empty location")
    func notJSONObjects() throws {
        let validator = RowValidator(schema: Self.searchSchema)
        let notJSON = try #require(validator.validate(json: #"{"event_id": "secret-value",}"#))
        #expect(notJSON.reason == "invalid" && notJSON.location == "")
        #expect(notJSON.message.hasPrefix("Row is not valid JSON"))
        #expect(!notJSON.message.contains("secret-value"))
        #expect(validator.validate(json: "[1]") == .invalid(location: "", message: "Row is not a JSON object."))
    }

    @Test("RowError encodes as insertAll's error object")
    func rowErrorCodable() throws {
        let error = RowError.invalid(location: "response_time_ms", message: "m")
        let data = try JSONEncoder().encode(error)
        let object = try #require(try JSONParser.parse(data).objectValue)
        #expect(object["reason"] == .string("invalid"))
        #expect(object["location"] == .string("response_time_ms"))
        #expect(try JSONDecoder().decode(RowError.self, from: data) == error)
    }
}
