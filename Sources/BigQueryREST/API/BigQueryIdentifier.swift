/// Plausibility checks for BigQuery resource ids, run before an id goes into a URL: they keep path
/// separators, query characters and control characters out, not every rule of BigQuery's naming.
public enum BigQueryIdentifier {
    /// Project ids: letters, digits, `-`, and the `.`/`:` of legacy domain-scoped ids (`example.com:proj`).
    public static func isValidProjectID(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count) && id.utf8.allSatisfy { isASCIIAlphanumeric($0) || "-.:".utf8.contains($0) }
            && isASCIIAlphanumeric(id.utf8.first!) && isASCIIAlphanumeric(id.utf8.last!)
    }

    /// Dataset ids: letters, digits and underscores, at most 1,024 characters.
    public static func isValidDatasetID(_ id: String) -> Bool {
        (1...1024).contains(id.utf8.count) && id.utf8.allSatisfy { isASCIIAlphanumeric($0) || $0 == UInt8(ascii: "_") }
    }

    /// Table ids: Unicode letters, marks and digits, `_`, `-`, spaces, and a `$` partition decorator;
    /// at most 1,024 UTF-8 bytes.
    public static func isValidTableID(_ id: String) -> Bool {
        guard (1...1024).contains(id.utf8.count) else { return false }
        return id.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation,
                .dashPunctuation:
                true
            default:
                scalar == " " || scalar == "$"
            }
        }
    }

    private static func isASCIIAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
