/// BigQuery's rules for column names (flexible column names included).
enum FieldName {
    /// Characters BigQuery refuses even in flexible column names; `.` would also break the dotted
    /// locations of row errors.
    private static let forbidden: Set<Character> = [
        "!", "\"", "$", "(", ")", "*", ",", ".", "/", ";", "?", "@", "[", "\\", "]", "^", "`", "{", "}", "~",
    ]

    /// Prefixes BigQuery reserves (compared case-insensitively).
    private static let reservedPrefixes = ["_table_", "_file_", "_partition", "_row_timestamp", "__root__", "_colidentifier"]

    /// Why `name` is not a valid column name, or nil when it is.
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.count > 300 { return "it is longer than 300 characters" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "it contains a control character"
        }
        if let bad = name.first(where: { forbidden.contains($0) }) {
            return "it contains '\(bad)'"
        }
        let lowered = name.lowercased()
        if let prefix = reservedPrefixes.first(where: { lowered.hasPrefix($0) }) {
            return "the prefix '\(prefix)' is reserved"
        }
        return nil
    }
}
