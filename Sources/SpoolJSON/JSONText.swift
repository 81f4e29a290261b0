/// How much `JSONText` escapes inside a JSON string. Both forms are valid JSON and parse to the same text.
package enum JSONEscaping: Sendable {
    /// What RFC 8259 requires and nothing more: quote, backslash and U+0000–U+001F. Rows, request bodies: what
    /// machines read, as short as JSON allows (and what `JSONEncoder` writes, so typed events read the same either way).
    case required
    /// Also what a terminal would act on (DEL, C1 controls such as U+009B, bidirectional marks, overrides and
    /// isolates, line and paragraph separators): JSON that people read, so that showing it on a terminal cannot move
    /// the cursor or reorder text.
    case terminalSafe
}

/// Builds JSON text by appending bytes, so that payloads that are already JSON are spliced in unchanged. Holds the
/// package's one JSON string escaper (`appendString`): the serializer of `JSONValue`, the typed-event row encoder and
/// BigQuery's request bodies all quote strings with it.
package enum JSONText {
    /// Appends `value` as a quoted JSON string.
    package static func appendString(_ value: String, to output: inout [UInt8], escaping: JSONEscaping = .required) {
        var value = value
        value.withUTF8 { appendString(utf8: $0, to: &output, escaping: escaping) }
    }

    /// Appends well-formed UTF-8 (a string's) as a quoted JSON string. Runs that need no escape are copied whole.
    package static func appendString(
        utf8 bytes: UnsafeBufferPointer<UInt8>, to output: inout [UInt8], escaping: JSONEscaping = .required
    ) {
        let terminalSafe = escaping == .terminalSafe
        output.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && (byte < 0x7F || !terminalSafe) {
                index += 1
                continue
            }
            let (scalar, length) = byte < 0x80 ? (UInt32(byte), 1) : decodeScalar(bytes, at: index)
            if scalar >= 0x7F && !isTerminalControl(scalar) {
                index += length
                continue
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            appendEscape(scalar, to: &output)
            index += length
            runStart = index
        }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart...]))
        output.append(UInt8(ascii: "\""))
    }

    /// `value` as a quoted JSON string.
    package static func quoted(_ value: String, escaping: JSONEscaping = .required) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(value.utf8.count + 2)
        appendString(value, to: &output, escaping: escaping)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends JSON text written in the source (punctuation, keys, literals) as it is. Inlinable: request bodies
    /// call it several times per row.
    @inlinable
    package static func append(_ literal: StaticString, to output: inout [UInt8]) {
        literal.withUTF8Buffer { output.append(contentsOf: $0) }
    }

    /// What a terminal acts on besides C0 controls: DEL, C1 controls, the Arabic letter mark, LRM and RLM, line and
    /// paragraph separators, bidirectional embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
    static func isTerminalControl(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The escape for `scalar`: the short form JSON has for it, or `\u` and four lowercase hex digits (every
    /// scalar escaped here is in the Basic Multilingual Plane).
    static func appendEscape(_ scalar: UInt32, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch scalar {
        case 0x22: output.append(UInt8(ascii: "\""))
        case 0x5C: output.append(UInt8(ascii: "\\"))
        case 0x0A: output.append(UInt8(ascii: "n"))
        case 0x0D: output.append(UInt8(ascii: "r"))
        case 0x09: output.append(UInt8(ascii: "t"))
        case 0x08: output.append(UInt8(ascii: "b"))
        case 0x0C: output.append(UInt8(ascii: "f"))
        default:
            let hex: StaticString = "0123456789abcdef"
            output.append(UInt8(ascii: "u"))
            for shift in stride(from: 12, through: 0, by: -4) {
                output.append(hex.utf8Start[Int(scalar >> UInt32(shift) & 0xF)])
            }
        }
    }

    /// The scalar that starts at `index` of well-formed UTF-8, and its length in bytes.
    private static func decodeScalar(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (UInt32, Int) {
        let lead = UInt32(bytes[index])
        let length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2
        guard index + length <= bytes.count else { return (0xFFFD, bytes.count - index) }
        var scalar = lead & (0xFF >> (length + 1))
        for offset in 1..<length {
            scalar = scalar << 6 | UInt32(bytes[index + offset] & 0x3F)
        }
        return (scalar, length)
    }
}
