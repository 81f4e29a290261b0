/// How many values a column holds per row.
public enum FieldMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// Zero or one value; the default when a schema names no mode.
    case nullable = "NULLABLE"
    /// Exactly one non-null value.
    case required = "REQUIRED"
    /// An array of non-null values.
    case repeated = "REPEATED"

    /// A mode from its spelling (case-insensitive).
    public init?(spelling: String) {
        self.init(rawValue: spelling.uppercased())
    }
}
