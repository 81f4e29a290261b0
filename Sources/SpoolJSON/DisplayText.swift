extension JSONValue {
    /// `text` for a terminal or a log line: every control character escaped as JSON escapes it (`\n`, `\u001b`,
    /// `\u009b`, `\u202e`), quotes and backslashes left as they are. Use it for whatever came from outside (payload
    /// values, BigQuery's messages, table names, lease holders) before it reaches a terminal.
    ///
    /// Not a JSON escaper: the result is for reading, not for parsing back (a backslash is not doubled, so `\n`
    /// typed by someone and a newline look alike). It escapes the same characters, with the same sequences, as
    /// `JSONText` does for `JSONEscaping.terminalSafe`, apart from quote and backslash.
    public static func displayText(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isDisplayEscaped) else { return text }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            if isDisplayEscaped(scalar) {
                JSONText.appendEscape(scalar.value, to: &output)
            } else {
                UTF8.encode(scalar) { output.append($0) }
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func isDisplayEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || JSONText.isTerminalControl(scalar.value)
    }
}
