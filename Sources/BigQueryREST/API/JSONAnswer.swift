import SpoolJSON

extension HTTPResponse {
    /// The body as a JSON object, parsed once with SpoolJSON's strict parser; nil when it is anything else
    /// (truncated, HTML, an array). Callers turn nil into their own typed failure.
    var jsonObject: JSONObject? {
        (try? JSONParser.parse(body))?.objectValue
    }
}

extension JSONValue {
    /// An int64 of BigQuery's API: a JSON string of digits, as BigQuery sends it, or an integral number from lenient
    /// servers; nil for anything else.
    var int64Value: Int64? {
        switch self {
        case .string(let text):
            return Int64(text)
        case .number(let literal):
            if let integer = Int64(literal) { return integer }
            // `1e3` or `12.0` is an integer too; beyond 2^53 a double no longer holds every integer exactly.
            guard let double = Double(literal), double.rounded() == double, abs(double) <= 9_007_199_254_740_992
            else { return nil }
            return Int64(double)
        default:
            return nil
        }
    }
}
