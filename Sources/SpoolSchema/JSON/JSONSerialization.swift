extension JSONValue {
    /// Compact JSON text; number literals are written exactly as they are held.
    public func serialized() -> String {
        var output = ""
        output.reserveCapacity(64)
        write(to: &output, indent: nil, level: 0)
        return output
    }

    /// JSON text indented by two spaces per level (for people reading dead letters); number
    /// literals are written exactly as they are held.
    public func prettyPrinted() -> String {
        var output = ""
        write(to: &output, indent: "  ", level: 0)
        return output
    }

    private func write(to output: inout String, indent: String?, level: Int) {
        switch self {
        case .null: output += "null"
        case .bool(let value): output += value ? "true" : "false"
        case .number(let literal): output += literal
        case .string(let string): JSONValue.writeString(string, to: &output)
        case .array(let elements):
            guard !elements.isEmpty else {
                output += "[]"
                return
            }
            output += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { output += "," }
                JSONValue.newline(&output, indent: indent, level: level + 1)
                element.write(to: &output, indent: indent, level: level + 1)
            }
            JSONValue.newline(&output, indent: indent, level: level)
            output += "]"
        case .object(let object):
            guard !object.isEmpty else {
                output += "{}"
                return
            }
            output += "{"
            for (position, member) in object.members.enumerated() {
                if position > 0 { output += "," }
                JSONValue.newline(&output, indent: indent, level: level + 1)
                JSONValue.writeString(member.key, to: &output)
                output += indent == nil ? ":" : ": "
                member.value.write(to: &output, indent: indent, level: level + 1)
            }
            JSONValue.newline(&output, indent: indent, level: level)
            output += "}"
        }
    }

    private static func newline(_ output: inout String, indent: String?, level: Int) {
        guard let indent else { return }
        output += "\n"
        for _ in 0..<level { output += indent }
    }

    /// `text` for a terminal or a log line: every control character escaped as JSON escapes it (`\n`, `\u001b`,
    /// `\u009b`, `\u202e`), quotes and backslashes left as they are. Use it for whatever came from outside (payload
    /// values, BigQuery's messages, table names, lease holders) before it reaches a terminal.
    public static func displayText(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { escape($0, quoting: false) != nil }) else { return text }
        var output = ""
        writeEscaped(text, quoting: false, to: &output)
        return output
    }

    /// Escapes what JSON requires (quote, backslash, C0 controls) and what a terminal would act on (DEL, C1 controls
    /// such as U+009B, bidirectional marks, overrides and isolates, line and paragraph separators), so that JSON
    /// output shown on a terminal cannot move the cursor or reorder text; everything else is written as UTF-8.
    static func writeString(_ string: String, to output: inout String) {
        output += "\""
        writeEscaped(string, quoting: true, to: &output)
        output += "\""
    }

    private static func writeEscaped(_ string: String, quoting: Bool, to output: inout String) {
        let scalars = string.unicodeScalars
        var pendingStart = scalars.startIndex
        var position = pendingStart
        while position < scalars.endIndex {
            if let escape = escape(scalars[position], quoting: quoting) {
                output.unicodeScalars.append(contentsOf: scalars[pendingStart..<position])
                output += escape
                pendingStart = scalars.index(after: position)
            }
            position = scalars.index(after: position)
        }
        output.unicodeScalars.append(contentsOf: scalars[pendingStart..<scalars.endIndex])
    }

    /// The escape for `scalar`, or nil to write it as it is. `quoting`: inside a JSON string (quote and backslash too).
    private static func escape(_ scalar: Unicode.Scalar, quoting: Bool) -> String? {
        switch scalar.value {
        case 0x22: return quoting ? "\\\"" : nil
        case 0x5C: return quoting ? "\\\\" : nil
        case 0x0A: return "\\n"
        case 0x0D: return "\\r"
        case 0x09: return "\\t"
        case 0x08: return "\\b"
        case 0x0C: return "\\f"
        case 0x00..<0x20, 0x7F...0x9F, 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069:
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default:
            return nil
        }
    }
}
