import Testing

@testable import SpoolJSON

@Suite("JSON parser")
struct JSONParserTests {
    @Test("number literals keep their exact text", arguments: ["12", "12.0", "12.7", "1e3", "-0", "92233720368547758080", "1E-7"])
    func numberLiteralsKeepTheirExactText(literal: String) throws {
        #expect(try JSONParser.parse(literal) == .number(literal))
        #expect(try JSONParser.parse("[\(literal)]").serialized() == "[\(literal)]")
    }

    @Test("objects keep member order and the last duplicate wins in the first position")
    func objectsKeepOrderAndLastDuplicateWins() throws {
        let value = try JSONParser.parse(#"{"b": 1, "a": 2, "b": 3}"#)
        let object = try #require(value.objectValue)
        #expect(object.keys == ["b", "a"])
        #expect(object["b"] == .number("3"))
    }

    @Test("duplicates are resolved in objects with many members too")
    func duplicatesInLargeObjects() throws {
        let members = (0..<40).map { "\"k\($0)\": \($0)" }.joined(separator: ",")
        let value = try JSONParser.parse("{\(members), \"k5\": \"last\"}")
        let object = try #require(value.objectValue)
        #expect(object.count == 40)
        #expect(object["k5"] == .string("last"))
        #expect(object.keys[5] == "k5")
    }

    @Test("escapes decode, including surrogate pairs")
    func escapesDecode() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#)
        #expect(value == .string("a\"b\\c/d\n\té😀"))
    }

    @Test("nested values parse into arrays and objects")
    func nestedValues() throws {
        let value = try JSONParser.parse(#" {"a": [true, false, null, {"b": "c"}]} "#)
        #expect(value == .object(["a": .array([.bool(true), .bool(false), .null, .object(["b": .string("c")])])]))
    }

    @Test(
        "invalid texts are refused with a code",
        arguments: [
            ("", JSONParseError.Code.unexpectedEnd),
            ("{\"a\":1,}", .unexpectedCharacter),
            ("[1,]", .unexpectedCharacter),
            ("{\"a\":1} // c", .trailingCharacters),
            ("/* c */ {}", .unexpectedCharacter),
            ("012", .invalidNumber),
            ("-", .unexpectedEnd),
            ("1.", .invalidNumber),
            (".5", .unexpectedCharacter),
            ("1e", .invalidNumber),
            ("+1", .unexpectedCharacter),
            ("\"\\x\"", .invalidEscape),
            ("\"\\ud800\"", .invalidUnicodeEscape),
            ("\"\\udc00\"", .invalidUnicodeEscape),
            ("\"\\u12g4\"", .invalidUnicodeEscape),
            ("\"a\u{01}b\"", .controlCharacterInString),
            ("\"abc", .unexpectedEnd),
            ("{'a': 1}", .unexpectedCharacter),
            ("{a: 1}", .unexpectedCharacter),
            ("tru", .unexpectedEnd),
            ("nul", .unexpectedEnd),
            ("NaN", .unexpectedCharacter),
            ("[1 2]", .unexpectedCharacter),
            ("{\"a\" 1}", .unexpectedCharacter),
        ])
    func invalidTextsAreRefused(text: String, code: JSONParseError.Code) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
        do {
            _ = try JSONParser.parse(text)
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("malformed UTF-8 is refused", arguments: [[0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22]])
    func malformedUTF8IsRefused(bytes: [UInt8]) {
        #expect(throws: JSONParseError(.invalidUTF8, offset: 1)) { try JSONParser.parse(bytes) }
    }

    @Test("well-formed multi-byte UTF-8 is accepted")
    func multiByteUTF8() throws {
        #expect(try JSONParser.parse(Array("\"ü€😀\"".utf8)) == .string("ü€😀"))
    }

    @Test("nesting deeper than 512 levels is refused, 512 levels are fine")
    func depthLimit() throws {
        let fine = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONParser.parse(fine) }
        let deep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        do {
            _ = try JSONParser.parse(deep)
            Issue.record("a 513-level document was accepted")
        } catch {
            #expect(error.code == .tooDeep)
        }
    }

    @Test("errors carry the byte offset and never the text")
    func errorsCarryOffsetOnly() {
        do {
            _ = try JSONParser.parse(#"{"secret": "hunter2", }"#)
            Issue.record("trailing comma accepted")
        } catch {
            #expect(error.offset == 22)
            #expect(!error.description.contains("hunter2"))
        }
    }
}
