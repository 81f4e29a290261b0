/// The token-level rules of RFC 8259, shared by the syntax check and the parser so that both accept
/// exactly the same texts. Works on raw bytes and never allocates. SpoolSchema's scalar checks use its digit test.
package enum JSONLexer {
    typealias Bytes = UnsafeBufferPointer<UInt8>

    @inline(__always)
    static func skipWhitespace(_ bytes: Bytes, _ index: inout Int) {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    /// Scans `true`, `false` or `null` starting at `index`; returns which one.
    @inline(__always)
    static func scanLiteral(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) -> JSONValue {
        let start = index
        switch bytes[index] {
        case UInt8(ascii: "t"):
            try expect(bytes, &index, "true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect(bytes, &index, "false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect(bytes, &index, "null")
            return .null
        default:
            throw JSONParseError(.unexpectedCharacter, offset: start)
        }
    }

    @inline(__always)
    private static func expect(_ bytes: Bytes, _ index: inout Int, _ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        let letters = word.utf8Start
        for offset in 0..<count {
            guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
            guard bytes[index] == letters[offset] else { throw JSONParseError(.unexpectedCharacter, offset: index) }
            index += 1
        }
    }

    /// Scans a number (RFC 8259: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`).
    @inline(__always)
    static func scanNumber(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) {
        let count = bytes.count
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
        }
        guard index < count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        let first = bytes[index]
        if first == UInt8(ascii: "0") {
            index += 1
            if index < count, isDigit(bytes[index]) {
                throw JSONParseError(.invalidNumber, offset: index)
            }
        } else if isDigit(first) {
            index += 1
            while index < count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw JSONParseError(.invalidNumber, offset: index)
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < count, isDigit(bytes[index]) else { throw JSONParseError(.invalidNumber, offset: index) }
            while index < count, isDigit(bytes[index]) { index += 1 }
        }
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < count, isDigit(bytes[index]) else { throw JSONParseError(.invalidNumber, offset: index) }
            while index < count, isDigit(bytes[index]) { index += 1 }
        }
    }

    @inlinable
    package static func isDigit(_ byte: UInt8) -> Bool {
        byte &- UInt8(ascii: "0") < 10
    }

    /// Scans a string whose opening quote is at `index`; leaves `index` after the closing quote.
    /// Returns true when the string contains escapes (so its bytes cannot be used as they are).
    @inline(__always)
    static func scanString(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) -> Bool {
        let count = bytes.count
        var hasEscapes = false
        index += 1
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return hasEscapes
            } else if byte == UInt8(ascii: "\\") {
                hasEscapes = true
                try scanEscape(bytes, &index)
            } else if byte < 0x20 {
                throw JSONParseError(.controlCharacterInString, offset: index)
            } else if byte < 0x80 {
                index += 1
            } else {
                try scanUTF8Sequence(bytes, &index)
            }
        }
        throw JSONParseError(.unexpectedEnd, offset: index)
    }

    private static func scanEscape(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) {
        let start = index
        index += 1
        guard index < bytes.count else { throw JSONParseError(.unexpectedEnd, offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case UInt8(ascii: "u"):
            index += 1
            let unit = try hexQuad(bytes, &index)
            if unit >= 0xD800 && unit < 0xDC00 {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw JSONParseError(.invalidUnicodeEscape, offset: start) }
                index += 2
                let low = try hexQuad(bytes, &index)
                guard low >= 0xDC00 && low < 0xE000 else { throw JSONParseError(.invalidUnicodeEscape, offset: start) }
            } else if unit >= 0xDC00 && unit < 0xE000 {
                throw JSONParseError(.invalidUnicodeEscape, offset: start)
            }
        default:
            throw JSONParseError(.invalidEscape, offset: start)
        }
    }

    /// Four hex digits after `\u`.
    @inline(__always)
    static func hexQuad(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONParseError(.unexpectedEnd, offset: bytes.count) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, offset: index)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (Unicode table 3-7: no overlongs, no surrogates,
    /// nothing above U+10FFFF).
    private static func scanUTF8Sequence(_ bytes: Bytes, _ index: inout Int) throws(JSONParseError) {
        let start = index
        let lead = bytes[index]
        let length: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lower = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; upper = 0x9F
        case 0xF0: length = 4; lower = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; upper = 0x8F
        default: throw JSONParseError(.invalidUTF8, offset: start)
        }
        guard start + length <= bytes.count else { throw JSONParseError(.invalidUTF8, offset: start) }
        let second = bytes[start + 1]
        guard second >= lower && second <= upper else { throw JSONParseError(.invalidUTF8, offset: start) }
        var position = start + 2
        while position < start + length {
            guard bytes[position] & 0xC0 == 0x80 else { throw JSONParseError(.invalidUTF8, offset: start) }
            position += 1
        }
        index = start + length
    }

    /// Decodes the content of a string that contains escapes; `range` excludes the quotes and was
    /// already validated by `scanString`.
    static func decodeEscapedString(_ bytes: Bytes, _ range: Range<Int>) -> String {
        var utf8 = [UInt8]()
        utf8.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            index += 1
            switch bytes[index] {
            case UInt8(ascii: "b"): utf8.append(0x08); index += 1
            case UInt8(ascii: "f"): utf8.append(0x0C); index += 1
            case UInt8(ascii: "n"): utf8.append(0x0A); index += 1
            case UInt8(ascii: "r"): utf8.append(0x0D); index += 1
            case UInt8(ascii: "t"): utf8.append(0x09); index += 1
            case UInt8(ascii: "u"):
                index += 1
                var unit = (try? hexQuad(bytes, &index)) ?? 0xFFFD
                if unit >= 0xD800 && unit < 0xDC00 {
                    index += 2
                    let low = (try? hexQuad(bytes, &index)) ?? 0xDC00
                    unit = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(Unicode.Scalar(unit) ?? "\u{FFFD}", to: &utf8)
            default:
                // `"`, `\` and `/` stand for themselves.
                utf8.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to utf8: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            utf8.append(UInt8(value))
        case 0x80..<0x800:
            utf8.append(UInt8(0xC0 | value >> 6))
            utf8.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0x10000:
            utf8.append(UInt8(0xE0 | value >> 12))
            utf8.append(UInt8(0x80 | value >> 6 & 0x3F))
            utf8.append(UInt8(0x80 | value & 0x3F))
        default:
            utf8.append(UInt8(0xF0 | value >> 18))
            utf8.append(UInt8(0x80 | value >> 12 & 0x3F))
            utf8.append(UInt8(0x80 | value >> 6 & 0x3F))
            utf8.append(UInt8(0x80 | value & 0x3F))
        }
    }
}
