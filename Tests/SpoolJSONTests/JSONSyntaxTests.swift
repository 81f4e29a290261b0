import Testing

@testable import SpoolJSON

@Suite("JSON syntax check for appends")
struct JSONSyntaxTests {
    @Test(
        "objects are accepted",
        arguments: [
            "{}", " { \"a\" : 1 } \n", #"{"a":[1,2,{"b":null}],"c":"\u00e9","d":-1.5e-3,"e":true}"#,
            #"{"nested":{"deeper":{"deepest":[[],{}]}}}"#,
        ])
    func objectsAreAccepted(text: String) {
        #expect(throws: Never.self) { try JSONSyntax.validateObject(text) }
    }

    @Test("valid non-objects throw notAnObject", arguments: ["[]", "1", "\"s\"", "null", "true", " [1, 2] "])
    func nonObjectsThrowNotAnObject(text: String) {
        #expect(throws: JSONParseError(.notAnObject, offset: 0)) { try JSONSyntax.validateObject(text) }
    }

    @Test(
        "invalid texts are refused like the parser refuses them",
        arguments: ["", "{", "{\"a\":1,}", "{\"a\":01}", "{\"a\":\"\\q\"}", "{} {}", "{\"a\":1}x", "{\"a\":\"\u{1F}\"}", "{\"a\" 1}"])
    func invalidTextsAreRefused(text: String) {
        var parserCode: JSONParseError.Code?
        do { _ = try JSONParser.parse(text) } catch { parserCode = error.code }
        do {
            try JSONSyntax.validateObject(text)
            Issue.record("accepted invalid JSON")
        } catch {
            #expect(error.code == parserCode)
            #expect(error.code != .notAnObject)
        }
    }

    @Test("the raw-buffer form checks the same bytes")
    func rawBufferForm() {
        func check(_ text: String) -> JSONParseError? {
            Array(text.utf8).withUnsafeBytes { bytes -> JSONParseError? in
                do throws(JSONParseError) {
                    try JSONSyntax.validateObject(bytes)
                    return nil
                } catch {
                    return error
                }
            }
        }
        #expect(check(#"{"a": 1}"#) == nil)
        #expect(check(#"{"a": 1"#)?.code == .unexpectedEnd)
        #expect(check("[1]")?.code == .notAnObject)
    }

    @Test("deep nesting is refused without exhausting the stack")
    func deepNesting() {
        let deep = "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        do {
            try JSONSyntax.validateObject(deep)
            Issue.record("accepted 10,000 levels")
        } catch {
            #expect(error.code == .tooDeep)
        }
    }
}
