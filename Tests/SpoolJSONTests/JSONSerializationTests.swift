import Testing

@testable import SpoolJSON

@Suite("JSON serialization")
struct JSONSerializationTests {
    @Test("compact output round-trips and keeps number literals and member order")
    func compactRoundTrip() throws {
        let text = #"{"z":1.50,"a":[1e3,-0,12.0],"s":"q\"\\\n\u0001é","n":null,"t":true,"o":{}}"#
        let value = try JSONParser.parse(text)
        #expect(value.serialized() == text)
        #expect(try JSONParser.parse(value.serialized()) == value)
    }

    @Test("pretty output indents by two spaces")
    func prettyOutput() throws {
        let value = try JSONParser.parse(#"{"a":[1,{"b":2.0}],"c":{},"d":[]}"#)
        let expected = """
            {
              "a": [
                1,
                {
                  "b": 2.0
                }
              ],
              "c": {},
              "d": []
            }
            """
        #expect(value.prettyPrinted() == expected)
        #expect(try JSONParser.parse(value.prettyPrinted()) == value)
    }
}
