extension JSONValue {
    /// Compact JSON text; number literals are written exactly as they are held. Strings are escaped terminal-safe
    /// (`JSONEscaping.terminalSafe`): this text is shown to people (spoolctl's output, messages, schema files).
    public func serialized() -> String {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        write(to: &output, indent: nil, level: 0)
        return String(decoding: output, as: UTF8.self)
    }

    /// JSON text indented by two spaces per level (for people reading dead letters); number
    /// literals are written exactly as they are held.
    public func prettyPrinted() -> String {
        var output: [UInt8] = []
        write(to: &output, indent: 2, level: 0)
        return String(decoding: output, as: UTF8.self)
    }

    private func write(to output: inout [UInt8], indent: Int?, level: Int) {
        switch self {
        case .null: JSONText.append("null", to: &output)
        case .bool(let value): JSONText.append(value ? "true" : "false", to: &output)
        case .number(let literal): output.append(contentsOf: literal.utf8)
        case .string(let string): JSONText.appendString(string, to: &output, escaping: .terminalSafe)
        case .array(let elements):
            guard !elements.isEmpty else {
                JSONText.append("[]", to: &output)
                return
            }
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                JSONValue.newline(&output, indent: indent, level: level + 1)
                element.write(to: &output, indent: indent, level: level + 1)
            }
            JSONValue.newline(&output, indent: indent, level: level)
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            guard !object.isEmpty else {
                JSONText.append("{}", to: &output)
                return
            }
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.members.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                JSONValue.newline(&output, indent: indent, level: level + 1)
                JSONText.appendString(member.key, to: &output, escaping: .terminalSafe)
                JSONText.append(indent == nil ? ":" : ": ", to: &output)
                member.value.write(to: &output, indent: indent, level: level + 1)
            }
            JSONValue.newline(&output, indent: indent, level: level)
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func newline(_ output: inout [UInt8], indent: Int?, level: Int) {
        guard let indent else { return }
        output.append(UInt8(ascii: "\n"))
        output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * level))
    }
}
