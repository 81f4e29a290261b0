/// The error every Spool operation throws: a stable `code` to match on, and a message for people.
///
/// Messages name files, tables, sizes and SQLite's own words, never payload values: events may carry personal data.
public struct SpoolError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value that can be matched (`error.code == .spoolFull`). New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case invalidJSON, notAnObject, invalidTableName, rowTooLarge, invalidInsertId, schemaViolation, unknownTable
            case spoolFull, diskFull, notADatabase, notASpool, corrupt, newerVersion, olderVersion, cannotOpen, readOnly, busy
            case closed, io, invalidConfiguration, alreadyRunning, storage, credentials
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }

        /// The payload is not valid JSON.
        public static let invalidJSON = Code(.invalidJSON)
        /// The payload is valid JSON but not an object (BigQuery rows are objects).
        public static let notAnObject = Code(.notAnObject)
        /// The table name is not a valid BigQuery table id.
        public static let invalidTableName = Code(.invalidTableName)
        /// The row is larger than the configured per-row limit (BigQuery's is 10 MB).
        public static let rowTooLarge = Code(.rowTooLarge)
        /// A caller-supplied insert id is empty or longer than BigQuery's 128 characters.
        public static let invalidInsertId = Code(.invalidInsertId)
        /// Strict mode: the row does not match the table's schema.
        public static let schemaViolation = Code(.schemaViolation)
        /// Strict mode: no schema is configured for the table.
        public static let unknownTable = Code(.unknownTable)
        /// The configured cap on pending rows or bytes is reached and the policy is `.reject`. Nothing was written.
        public static let spoolFull = Code(.spoolFull)
        /// The disk (or the configured maximum database size) is full. Nothing was written.
        public static let diskFull = Code(.diskFull)
        /// The file is not a SQLite database.
        public static let notADatabase = Code(.notADatabase)
        /// The file is empty, or a SQLite database that is not a spool: a tool that opens only existing spools
        /// (`SpoolOpening.existingOnly`) leaves it untouched.
        public static let notASpool = Code(.notASpool)
        /// The database file is damaged.
        public static let corrupt = Code(.corrupt)
        /// The file was written by a newer version of Spool; it is left untouched.
        public static let newerVersion = Code(.newerVersion)
        /// The file is a spool of an older schema version, opened read-only or by a tool that must not migrate it.
        public static let olderVersion = Code(.olderVersion)
        /// The file cannot be opened or created (missing directory, permissions).
        public static let cannotOpen = Code(.cannotOpen)
        /// The file or its directory is read-only.
        public static let readOnly = Code(.readOnly)
        /// Another connection held a lock for longer than the busy timeout.
        public static let busy = Code(.busy)
        /// The spool was closed.
        public static let closed = Code(.closed)
        /// An I/O error from the operating system.
        public static let io = Code(.io)
        /// A configuration value is out of range or inconsistent.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// `SpoolUploader.run()` was called on an uploader that is already running.
        public static let alreadyRunning = Code(.alreadyRunning)
        /// Any other SQLite failure; the message carries SQLite's extended result code and words.
        public static let storage = Code(.storage)
        /// BigQuery credentials cannot be used: the key file is missing, unreadable, not JSON, of an unsupported
        /// type, lacks a field or holds a bad private key, or the token endpoint refused. `underlying` holds the
        /// typed reason (BigQueryREST's `CredentialsError`, whose `kind` tells these apart).
        public static let credentials = Code(.credentials)

        public var description: String { kind.rawValue }
    }

    /// What went wrong.
    public let code: Code
    /// A sentence for people: what, where and what to do, without payload values.
    public let message: String
    /// SQLite's extended result code, when SQLite reported the failure.
    public let sqliteCode: Int32?
    /// For `.schemaViolation` and `.invalidJSON`: where in the row (a field path such as `items[2].sku`, or a byte offset).
    public let location: String?
    /// For `.schemaViolation`: the message BigQuery would give. It may quote the offending value, so it is kept out
    /// of `message` and `description`; show it only where row data may be shown.
    public let detail: String?
    /// The typed error this one stands for, from a layer below (`CredentialsError` for `.credentials`).
    public let underlying: (any Error & Sendable)?

    package init(
        _ code: Code, _ message: String, sqliteCode: Int32? = nil, location: String? = nil, detail: String? = nil,
        underlying: (any Error & Sendable)? = nil
    ) {
        self.code = code
        self.message = message
        self.sqliteCode = sqliteCode
        self.location = location
        self.detail = detail
        self.underlying = underlying
    }

    public var description: String { "SpoolError.\(code): \(message)" }
}
