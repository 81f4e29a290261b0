/// One line of a preflight report: what was checked, whether it holds, and why not.
///
/// `spoolctl doctor --format json` prints these as they are; `kind` values and field names are stable.
public struct PreflightCheck: Sendable, Equatable, Codable {
    /// What a check is about.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The configuration file and environment parse.
        case configuration
        /// A BigQuery project and dataset are configured.
        case destination
        /// Where credentials come from, and that an access token can be had.
        case credentials
        /// The BigQuery endpoint answers.
        case endpoint
        /// A dataset exists.
        case dataset
        /// A mapped table exists and its schema equals the local schema file.
        case table
        /// A view of the views folder exists and matches its files (`spoolctl doctor` only).
        case view
        /// The spool file opens (read-only), its version and size.
        case spoolFile
        /// `PRAGMA quick_check` of the spool file.
        case spoolIntegrity
        /// Who holds the uploader lease.
        case spoolLease
    }

    public var kind: Kind
    /// The dataset or event table concerned, when there is one.
    public var subject: String?
    public var passed: Bool
    /// One sentence: what holds, or what is wrong and what to do.
    public var message: String
    /// Further lines, such as a schema diff field by field.
    public var details: [String]

    public init(_ kind: Kind, subject: String? = nil, passed: Bool, _ message: String, details: [String] = []) {
        self.kind = kind
        self.subject = subject
        self.passed = passed
        self.message = message
        self.details = details
    }

    static func pass(_ kind: Kind, subject: String? = nil, _ message: String, details: [String] = []) -> PreflightCheck {
        PreflightCheck(kind, subject: subject, passed: true, message, details: details)
    }

    static func fail(_ kind: Kind, subject: String? = nil, _ message: String, details: [String] = []) -> PreflightCheck {
        PreflightCheck(kind, subject: subject, passed: false, message, details: details)
    }
}

extension Array where Element == PreflightCheck {
    /// True when every check passed.
    public var allPassed: Bool { allSatisfy(\.passed) }
}
