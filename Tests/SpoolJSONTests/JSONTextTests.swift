import Foundation
import Testing

@testable import SpoolJSON

/// The package's one JSON string escaper, in its two forms, and the terminal display escaping beside it.
@Suite("JSON string escaper")
struct JSONTextTests {
    private static func quoted(_ text: String, _ escaping: JSONEscaping) -> String {
        JSONText.quoted(text, escaping: escaping)
    }

    @Test("every C0 control is escaped, with JSON's short form where it has one", arguments: [JSONEscaping.required, .terminalSafe])
    func controlCharactersAreEscaped(escaping: JSONEscaping) {
        let short: [UInt32: String] = [0x08: #"\b"#, 0x09: #"\t"#, 0x0A: #"\n"#, 0x0C: #"\f"#, 0x0D: #"\r"#]
        for value in UInt32(0)..<0x20 {
            let scalar = Unicode.Scalar(value)!
            let expected = short[value] ?? "\\u00" + (value < 0x10 ? "0" : "") + String(value, radix: 16)
            #expect(Self.quoted("a\(Character(scalar))b", escaping) == "\"a\(expected)b\"", "U+\(String(value, radix: 16))")
        }
    }

    @Test("quotes and backslashes are escaped; a slash is not", arguments: [JSONEscaping.required, .terminalSafe])
    func quotesAndBackslashes(escaping: JSONEscaping) {
        #expect(Self.quoted(#"say "hi" \ back/slash"#, escaping) == #""say \"hi\" \\ back/slash""#)
        #expect(Self.quoted(#"\""#, escaping) == #""\\\"""#)
        #expect(Self.quoted("", escaping) == #""""#)
    }

    @Test(
        "terminal-safe escaping also escapes what a terminal acts on; required escaping leaves it as UTF-8",
        arguments: [
            ("\u{7F}", #"\u007f"#), ("\u{80}", #"\u0080"#), ("\u{9B}", #"\u009b"#), ("\u{9F}", #"\u009f"#),
            ("\u{061C}", #"\u061c"#), ("\u{200E}", #"\u200e"#), ("\u{200F}", #"\u200f"#), ("\u{2028}", #"\u2028"#),
            ("\u{2029}", #"\u2029"#), ("\u{202A}", #"\u202a"#), ("\u{202E}", #"\u202e"#), ("\u{2066}", #"\u2066"#),
            ("\u{2069}", #"\u2069"#),
        ])
    func terminalControls(character: String, escape: String) {
        #expect(Self.quoted("x\(character)y", .terminalSafe) == "\"x\(escape)y\"")
        #expect(Self.quoted("x\(character)y", .required) == "\"x\(character)y\"")
        #expect(JSONValue.displayText("x\(character)y") == "x\(escape)y")
    }

    @Test(
        "text beside the escaped ranges, and every plane beyond the first, is written as UTF-8 unchanged",
        arguments: ["\u{A0}", "é", "\u{061B}", "\u{061D}", "\u{200D}", "\u{2027}", "\u{202F}", "\u{2065}", "\u{206A}",
                    "日本語", "😀", "👩‍👩‍👧", "\u{10000}", "\u{10FFFF}", "\u{FFFD}"])
    func ordinaryTextIsNotEscaped(text: String) {
        for escaping in [JSONEscaping.required, .terminalSafe] {
            #expect(Self.quoted("<\(text)>", escaping) == "\"<\(text)>\"")
        }
        #expect(JSONValue.displayText("<\(text)>") == "<\(text)>")
    }

    @Test("a surrogate pair escape parses to one non-BMP scalar, written back as its four UTF-8 bytes")
    func surrogatePairsBecomeUTF8() throws {
        let parsed = try JSONParser.parse(#""\ud83d\ude00 \uD800\uDC00""#)
        #expect(parsed == .string("😀 \u{10000}"))
        let written = JSONText.quoted("😀", escaping: .terminalSafe)
        #expect(Array(written.utf8) == [0x22, 0xF0, 0x9F, 0x98, 0x80, 0x22])
        #expect(parsed.serialized() == "\"😀 \u{10000}\"")
    }

    @Test("both forms parse back to exactly the text they were given")
    func escapedTextRoundTrips() throws {
        var everything = ""
        for value in UInt32(0)..<0x300 { everything.unicodeScalars.append(Unicode.Scalar(value)!) }
        for value in UInt32(0x2000)..<0x2070 { everything.unicodeScalars.append(Unicode.Scalar(value)!) }
        everything += "\u{061C}\u{FEFF}😀\u{10FFFF}\"\\/"
        for escaping in [JSONEscaping.required, .terminalSafe] {
            #expect(try JSONParser.parse(Self.quoted(everything, escaping)) == .string(everything))
            #expect(try JSONParser.parse(Self.quoted("plain ascii", escaping)) == .string("plain ascii"))
        }
    }

    @Test("required escaping writes what JSONEncoder (without escaped slashes) writes, so typed events match either way")
    func requiredEscapingMatchesJSONEncoder() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        var controls = ""
        for value in UInt32(0)..<0x20 { controls.unicodeScalars.append(Unicode.Scalar(value)!) }
        for text in [controls, #"q"\b/"#, "\u{7F}\u{9B}\u{2028}\u{202E}", "😀 é 日本", ""] {
            let expected = String(decoding: try encoder.encode(text), as: UTF8.self)
            #expect(Self.quoted(text, .required) == expected)
        }
    }

    @Test("display text escapes controls only: quotes and backslashes stay as they are, and plain text is returned as is")
    func displayTextLeavesQuotesAlone() {
        #expect(JSONValue.displayText(#"a "b" \c"#) == #"a "b" \c"#)
        #expect(JSONValue.displayText("line\nnext\u{1B}[2J\ttab") == #"line\nnext\u001b[2J\ttab"#)
        #expect(JSONValue.displayText("\u{0}") == #"\u0000"#)
        #expect(JSONValue.displayText("") == "")
    }

    @Test("serialized JSON escapes terminal-safe, in keys as in values")
    func serializedValuesAreTerminalSafe() {
        let value = JSONValue.object(["k\u{202E}": .string("v\u{9B}\n"), "n": .number("1.50")])
        #expect(value.serialized() == #"{"k\u202e":"v\u009b\n","n":1.50}"#)
    }

    @Test("strings are appended after what the buffer already holds; literals go in as written")
    func appendsToExistingBytes() {
        var bytes = Array("[".utf8)
        JSONText.appendString("a\u{1}", to: &bytes)
        JSONText.append(",null]", to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == #"["a\u0001",null]"#)
    }
}
