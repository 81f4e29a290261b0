import Spool

/// Builds spoolctl's JSON output with SpoolJSON's JSONValue, which keeps member order: the documented shapes
/// print their keys in the documented order.
extension JSONValue {
    static func integer(_ value: some BinaryInteger) -> JSONValue {
        .number(String(value))
    }

    static func text(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }

    static func integer(_ value: (some BinaryInteger)?) -> JSONValue {
        value.map { .number(String($0)) } ?? .null
    }

    /// Unix milliseconds as ISO-8601 text, or null.
    static func time(millis: Int64?) -> JSONValue {
        millis.map { .string(TimeText.iso(millis: $0)) } ?? .null
    }
}
