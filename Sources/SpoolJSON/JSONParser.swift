/// A strict RFC 8259 parser: no trailing commas, comments, leading zeros, bare control characters,
/// unpaired surrogates or malformed UTF-8; nesting limited to 512 levels.
public enum JSONParser {
    /// Parses exactly one JSON value (surrounding whitespace allowed) from UTF-8 bytes.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let direct: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            parseResult(buffer)
        }
        if let direct {
            return try direct.get()
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer in parseResult(buffer) }.get()
    }

    /// Parses exactly one JSON value from a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        var text = text
        return try text.withUTF8 { buffer in parseResult(buffer) }.get()
    }

    static func parseResult(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        do throws(JSONParseError) {
            var parser = Parser(bytes: buffer)
            return .success(try parser.parseDocument())
        } catch {
            return .failure(error)
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func parseDocument() throws(JSONParseError) -> JSONValue {
            JSONLexer.skipWhitespace(bytes, &index)
            let value = try parseValue(depth: 0)
            JSONLexer.skipWhitespace(bytes, &index)
            guard index == bytes.count else { throw JSONParseError(.trailingCharacters, offset: index) }
            return value
        }

        mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                return .object(try parseObject(depth: depth + 1))
            case UInt8(ascii: "["):
                return .array(try parseArray(depth: depth + 1))
            case UInt8(ascii: "\""):
                return .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                try JSONLexer.scanNumber(bytes, &index)
                return .number(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
            default:
                return try JSONLexer.scanLiteral(bytes, &index)
            }
        }

        mutating func parseString() throws(JSONParseError) -> String {
            let start = index
            let hasEscapes = try JSONLexer.scanString(bytes, &index)
            let content = (start + 1)..<(index - 1)
            if hasEscapes {
                return JSONLexer.decodeEscapedString(bytes, content)
            }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[content]), as: UTF8.self)
        }

        mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONObject {
            guard depth <= JSONLimits.maximumDepth else { throw JSONParseError(.tooDeep, offset: index) }
            index += 1
            JSONLexer.skipWhitespace(bytes, &index)
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            var members: [(key: String, value: JSONValue)] = []
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return JSONObject(uniqueMembers: members)
            }
            members.reserveCapacity(8)
            // Beyond a handful of members, find duplicates through a dictionary instead of a scan.
            var positions: [String: Int]? = nil
            while true {
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
                guard bytes[index] == UInt8(ascii: "\"") else { throw JSONParseError(.unexpectedCharacter, offset: index) }
                let key = try parseString()
                JSONLexer.skipWhitespace(bytes, &index)
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
                guard bytes[index] == UInt8(ascii: ":") else { throw JSONParseError(.unexpectedCharacter, offset: index) }
                index += 1
                JSONLexer.skipWhitespace(bytes, &index)
                let value = try parseValue(depth: depth)
                insert(key: key, value: value, into: &members, positions: &positions)
                JSONLexer.skipWhitespace(bytes, &index)
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    JSONLexer.skipWhitespace(bytes, &index)
                case UInt8(ascii: "}"):
                    index += 1
                    return JSONObject(uniqueMembers: members)
                default:
                    throw JSONParseError(.unexpectedCharacter, offset: index)
                }
            }
        }

        /// Duplicate keys keep the first position and the last value.
        private func insert(
            key: String, value: JSONValue, into members: inout [(key: String, value: JSONValue)],
            positions: inout [String: Int]?
        ) {
            if positions == nil && members.count < 16 {
                for position in members.indices where members[position].key == key {
                    members[position].value = value
                    return
                }
                members.append((key: key, value: value))
                return
            }
            if positions == nil {
                var built: [String: Int] = [:]
                for (position, member) in members.enumerated() { built[member.key] = position }
                positions = built
            }
            if let position = positions?[key] {
                members[position].value = value
            } else {
                positions?[key] = members.count
                members.append((key: key, value: value))
            }
        }

        mutating func parseArray(depth: Int) throws(JSONParseError) -> [JSONValue] {
            guard depth <= JSONLimits.maximumDepth else { throw JSONParseError(.tooDeep, offset: index) }
            index += 1
            JSONLexer.skipWhitespace(bytes, &index)
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            var elements: [JSONValue] = []
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return elements
            }
            while true {
                elements.append(try parseValue(depth: depth))
                JSONLexer.skipWhitespace(bytes, &index)
                guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
                switch bytes[index] {
                case UInt8(ascii: ","):
                    index += 1
                    JSONLexer.skipWhitespace(bytes, &index)
                case UInt8(ascii: "]"):
                    index += 1
                    return elements
                default:
                    throw JSONParseError(.unexpectedCharacter, offset: index)
                }
            }
        }
    }
}
