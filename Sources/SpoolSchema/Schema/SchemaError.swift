/// Why a schema file (or folder of them) cannot be used. The message names the file and the field.
public struct SchemaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, comparable; new codes may be added.
    public struct Code: Sendable, Hashable {
        private enum Kind: Sendable, Hashable {
            case notJSON, notASchema, unknownType, duplicateFieldName, recordWithoutFields, invalidFieldName
            case invalidMode, invalidAttribute, unreadable
        }

        private let kind: Kind

        private init(_ kind: Kind) {
            self.kind = kind
        }

        /// The file is not valid JSON.
        public static let notJSON = Code(.notJSON)
        /// Valid JSON, but neither a field array, `{"fields": …}` nor `{"schema": {"fields": …}}`.
        public static let notASchema = Code(.notASchema)
        /// A type BigQuery does not have.
        public static let unknownType = Code(.unknownType)
        /// Two fields of one record share a name (BigQuery compares names case-insensitively).
        public static let duplicateFieldName = Code(.duplicateFieldName)
        /// A RECORD/STRUCT with no sub-fields.
        public static let recordWithoutFields = Code(.recordWithoutFields)
        /// A name BigQuery would refuse as a column name.
        public static let invalidFieldName = Code(.invalidFieldName)
        /// A mode other than NULLABLE, REQUIRED or REPEATED.
        public static let invalidMode = Code(.invalidMode)
        /// A key with the wrong kind of value, or a missing key the type needs.
        public static let invalidAttribute = Code(.invalidAttribute)
        /// The file or folder cannot be read.
        public static let unreadable = Code(.unreadable)
    }

    /// What went wrong.
    public let code: Code
    /// The schema file, when the schema came from one.
    public var file: String?
    /// The dotted path of the field concerned (`event_properties.source`), when there is one.
    public var fieldPath: String?
    /// What is wrong, in a sentence fragment.
    public let detail: String

    init(_ code: Code, file: String? = nil, fieldPath: String? = nil, _ detail: String) {
        self.code = code
        self.file = file
        self.fieldPath = fieldPath
        self.detail = detail
    }

    public var description: String {
        var text = file.map { "\($0): " } ?? ""
        if let fieldPath { text += "field '\(fieldPath)': " }
        return text + detail
    }
}
