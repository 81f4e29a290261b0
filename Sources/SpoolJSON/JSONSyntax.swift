/// A fast, allocation-free syntax check for the append path: is this text exactly one valid JSON
/// value, and is that value an object?
public enum JSONSyntax {
    /// Throws unless `bytes` hold exactly one RFC 8259 JSON value (surrounding whitespace allowed)
    /// and that value is an object; a valid non-object throws code `notAnObject`.
    public static func validateObject(_ bytes: UnsafeRawBufferPointer) throws(JSONParseError) {
        let buffer = bytes.assumingMemoryBound(to: UInt8.self)
        var index = 0
        JSONLexer.skipWhitespace(buffer, &index)
        guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        let isObject = buffer[index] == UInt8(ascii: "{")
        try scanValue(buffer, &index, depth: 0)
        JSONLexer.skipWhitespace(buffer, &index)
        guard index == buffer.count else { throw JSONParseError(.trailingCharacters, offset: index) }
        guard isObject else { throw JSONParseError(.notAnObject, offset: 0) }
    }

    /// `validateObject` over a string's UTF-8 bytes, without copying a native string.
    public static func validateObject(_ text: String) throws(JSONParseError) {
        var text = text
        let result: Result<Void, JSONParseError> = text.withUTF8 { buffer in
            do throws(JSONParseError) {
                try validateObject(UnsafeRawBufferPointer(buffer))
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Throws unless `bytes` hold exactly one JSON value of any kind.
    package static func validateValue(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) {
        var index = 0
        JSONLexer.skipWhitespace(buffer, &index)
        guard index < buffer.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        try scanValue(buffer, &index, depth: 0)
        JSONLexer.skipWhitespace(buffer, &index)
        guard index == buffer.count else { throw JSONParseError(.trailingCharacters, offset: index) }
    }

    private static func scanValue(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, depth: Int) throws(JSONParseError) {
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            try scanObject(bytes, &index, depth: depth + 1)
        case UInt8(ascii: "["):
            try scanArray(bytes, &index, depth: depth + 1)
        case UInt8(ascii: "\""):
            _ = try JSONLexer.scanString(bytes, &index)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try JSONLexer.scanNumber(bytes, &index)
        default:
            _ = try JSONLexer.scanLiteral(bytes, &index)
        }
    }

    private static func scanObject(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, depth: Int) throws(JSONParseError) {
        guard depth <= JSONLimits.maximumDepth else { throw JSONParseError(.tooDeep, offset: index) }
        index += 1
        JSONLexer.skipWhitespace(bytes, &index)
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter, offset: index) }
            _ = try JSONLexer.scanString(bytes, &index)
            JSONLexer.skipWhitespace(bytes, &index)
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            guard bytes[index] == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter, offset: index) }
            index += 1
            JSONLexer.skipWhitespace(bytes, &index)
            try scanValue(bytes, &index, depth: depth)
            JSONLexer.skipWhitespace(bytes, &index)
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                JSONLexer.skipWhitespace(bytes, &index)
            case UInt8(ascii: "}"):
                index += 1
                return
            default:
                throw JSONParseError(.unexpectedCharacter, offset: index)
            }
        }
    }

    private static func scanArray(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int, depth: Int) throws(JSONParseError) {
        guard depth <= JSONLimits.maximumDepth else { throw JSONParseError(.tooDeep, offset: index) }
        index += 1
        JSONLexer.skipWhitespace(bytes, &index)
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return
        }
        while true {
            try scanValue(bytes, &index, depth: depth)
            JSONLexer.skipWhitespace(bytes, &index)
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                JSONLexer.skipWhitespace(bytes, &index)
            case UInt8(ascii: "]"):
                index += 1
                return
            default:
                throw JSONParseError(.unexpectedCharacter, offset: index)
            }
        }
    }
}
