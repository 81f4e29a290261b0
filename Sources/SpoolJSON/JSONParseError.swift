/// Why a text is not the JSON that was expected. Carries a byte offset and a short description,
/// never any of the text itself (it may be personal data).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, as a value that can be compared; new codes may be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Kind: Sendable, Hashable {
            case unexpectedEnd, unexpectedCharacter, invalidNumber, invalidEscape, invalidUnicodeEscape
            case controlCharacterInString, invalidUTF8, tooDeep, trailingCharacters, notAnObject
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The text ended inside a value.
        public static let unexpectedEnd = Code(.unexpectedEnd)
        /// A character that cannot appear here.
        public static let unexpectedCharacter = Code(.unexpectedCharacter)
        /// A number that breaks RFC 8259's grammar (leading zero, lone minus, missing digits …).
        public static let invalidNumber = Code(.invalidNumber)
        /// A backslash escape that JSON does not define.
        public static let invalidEscape = Code(.invalidEscape)
        /// A `\u` escape that is malformed or an unpaired surrogate.
        public static let invalidUnicodeEscape = Code(.invalidUnicodeEscape)
        /// An unescaped control character (U+0000–U+001F) inside a string.
        public static let controlCharacterInString = Code(.controlCharacterInString)
        /// Bytes that are not well-formed UTF-8.
        public static let invalidUTF8 = Code(.invalidUTF8)
        /// Arrays and objects nested deeper than the parser allows.
        public static let tooDeep = Code(.tooDeep)
        /// Something other than whitespace after the value.
        public static let trailingCharacters = Code(.trailingCharacters)
        /// Valid JSON, but not an object where an object was required.
        public static let notAnObject = Code(.notAnObject)

        public var description: String {
            switch kind {
            case .unexpectedEnd: "unexpected end of text"
            case .unexpectedCharacter: "unexpected character"
            case .invalidNumber: "invalid number"
            case .invalidEscape: "invalid escape sequence"
            case .invalidUnicodeEscape: "invalid \\u escape or unpaired surrogate"
            case .controlCharacterInString: "unescaped control character in string"
            case .invalidUTF8: "invalid UTF-8"
            case .tooDeep: "nesting deeper than \(JSONLimits.maximumDepth) levels"
            case .trailingCharacters: "characters after the JSON value"
            case .notAnObject: "the JSON value is not an object"
            }
        }
    }

    /// What went wrong.
    public let code: Code
    /// The byte offset in the input where the problem was found.
    public let offset: Int

    public init(_ code: Code, offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String {
        "invalid JSON at byte \(offset): \(code)"
    }
}

/// Limits shared by the parser and the syntax check.
enum JSONLimits {
    /// Arrays and objects may nest this deep; deeper input is refused rather than risking the stack.
    static let maximumDepth = 512
}
