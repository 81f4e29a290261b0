/// A BigQuery column type as a schema file spells it (`INTEGER` or `INT64`, `RECORD` or `STRUCT` …),
/// with the normalized kind that validation uses.
public struct FieldType: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The normalized type, shared by all spellings.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case string = "STRING"
        case bytes = "BYTES"
        case integer = "INTEGER"
        case float = "FLOAT"
        case numeric = "NUMERIC"
        case bigNumeric = "BIGNUMERIC"
        case boolean = "BOOLEAN"
        case timestamp = "TIMESTAMP"
        case date = "DATE"
        case time = "TIME"
        case datetime = "DATETIME"
        case geography = "GEOGRAPHY"
        case json = "JSON"
        case record = "RECORD"
        case range = "RANGE"
    }

    /// The spelling from the file, upper-cased (kept so that a schema round-trips).
    public let spelling: String
    /// The normalized type.
    public let kind: Kind

    /// Every spelling BigQuery accepts in a schema, legacy and GoogleSQL names alike.
    static let spellings: [String: Kind] = [
        "STRING": .string, "BYTES": .bytes,
        "INTEGER": .integer, "INT64": .integer,
        "FLOAT": .float, "FLOAT64": .float,
        "NUMERIC": .numeric, "DECIMAL": .numeric,
        "BIGNUMERIC": .bigNumeric, "BIGDECIMAL": .bigNumeric,
        "BOOLEAN": .boolean, "BOOL": .boolean,
        "TIMESTAMP": .timestamp, "DATE": .date, "TIME": .time, "DATETIME": .datetime,
        "GEOGRAPHY": .geography, "JSON": .json,
        "RECORD": .record, "STRUCT": .record,
        "RANGE": .range,
    ]

    /// A type from its spelling (case-insensitive); nil for a type BigQuery does not have.
    public init?(spelling: String) {
        let upper = spelling.uppercased()
        guard let kind = FieldType.spellings[upper] else { return nil }
        self.spelling = upper
        self.kind = kind
    }

    /// A type by kind, spelled with its legacy SQL name (what `bq show --schema` prints).
    public init(_ kind: Kind) {
        self.spelling = kind.rawValue
        self.kind = kind
    }

    public static let string = FieldType(.string)
    public static let bytes = FieldType(.bytes)
    public static let integer = FieldType(.integer)
    public static let float = FieldType(.float)
    public static let numeric = FieldType(.numeric)
    public static let bigNumeric = FieldType(.bigNumeric)
    public static let boolean = FieldType(.boolean)
    public static let timestamp = FieldType(.timestamp)
    public static let date = FieldType(.date)
    public static let time = FieldType(.time)
    public static let datetime = FieldType(.datetime)
    public static let geography = FieldType(.geography)
    public static let json = FieldType(.json)
    public static let record = FieldType(.record)
    public static let range = FieldType(.range)

    public var description: String { spelling }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let type = FieldType(spelling: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "unknown BigQuery type '\(text)'")
        }
        self = type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(spelling)
    }
}
