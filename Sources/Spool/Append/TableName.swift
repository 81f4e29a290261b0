/// BigQuery's rules for a table id: 1 to 1,024 UTF-8 bytes of letters, marks, numbers, connectors (underscore),
/// dashes and spaces. Checked on every append, so ASCII takes a fast path.
enum TableName {
    static func validate(_ name: String) throws(SpoolError) {
        let bytes = name.utf8
        guard !bytes.isEmpty, bytes.count <= 1024 else {
            throw SpoolError(.invalidTableName, "a table name must be 1 to 1,024 bytes long (got \(bytes.count) bytes)")
        }
        var ascii = true
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: " "):
                continue
            case 0x80...:
                ascii = false
            default:
                throw invalid(name)
            }
        }
        guard !ascii else { return }
        for scalar in name.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                 .nonspacingMark, .spacingMark, .enclosingMark,
                 .decimalNumber, .letterNumber, .otherNumber,
                 .connectorPunctuation, .dashPunctuation, .spaceSeparator:
                continue
            default:
                throw invalid(name)
            }
        }
    }

    private static func invalid(_ name: String) -> SpoolError {
        // A table name is configuration, not row data: it may be shown.
        SpoolError(.invalidTableName, "\"\(name)\" is not a valid BigQuery table id: use letters, digits, underscores, dashes or spaces (a dataset belongs in the destination's table mapping, not in the name)")
    }
}
