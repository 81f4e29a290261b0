import BigQueryREST
import Logging
import SpoolSchema
import SpoolStorage

/// How the uploader batches, retries and behaves. Every field has a default that suits BigQuery.
public struct UploaderConfiguration: Sendable {
    /// Rows per request: per insertAll request, and per AppendRows request of the Storage Write API (BigQuery's hard
    /// limit is 50,000 for both). Nil: the API's own default, 500 for insertAll (BigQuery's recommendation) and 2,000
    /// for the Storage Write API (`batchRows(for:)`).
    public var batchRows: Int?
    /// Payload bytes per request; BigQuery refuses requests over 10 MB.
    public var batchBytes: Int = 5_000_000
    public var connectTimeout: Duration = .seconds(10)
    /// The whole request, upload and answer included. Capped at half of `leaseDuration`, so that no answer can
    /// arrive after another uploader took the lease over.
    public var requestTimeout: Duration = .seconds(60)
    /// Backoff after a failed request: full jitter between `initialBackoff` and a ceiling that doubles per
    /// consecutive failure up to `maxBackoff`. Retry-After raises the wait, never lowers it.
    public var initialBackoff: Duration = .seconds(1)
    public var maxBackoff: Duration = .seconds(32)
    /// The wait after `quotaExceeded` (BigQuery's quotas refill slowly).
    public var quotaBackoff: Duration = .seconds(600)
    /// How long a paused table (access denied, table not found) waits before the uploader tries it again.
    public var pauseRecheckInterval: Duration = .seconds(300)
    /// Rows older than this are dead-lettered with reason `expired` instead of being sent; nil keeps them forever.
    public var maxRowAge: Duration?
    /// How often an idle uploader looks for new rows.
    public var pollInterval: Duration = .milliseconds(500)
    /// How often the running uploader refreshes the pending rows and oldest pending age gauges (from the per-table
    /// running totals: a few rows read, whatever the backlog).
    public var gaugeInterval: Duration = .seconds(5)
    /// The uploader lease's lifetime; the holder renews it every third of that, before requests included. A
    /// killed holder's successor waits this long; requests time out after at most half of it.
    public var leaseDuration: Duration = .seconds(30)
    /// On graceful shutdown, how long the last drain may take.
    public var shutdownDrainTimeout: Duration = .seconds(5)
    /// gzip request bodies.
    public var compressRequests: Bool = true
    /// How many times a lone row must get HTTP 500 while the rest of its batch was accepted before it is
    /// dead-lettered as the batch's poison.
    public var poisonStrikes: Int = 3
    /// Where access tokens come from.
    public var credentials: CredentialsChoice = .automatic
    /// Where the uploader logs (info and lower, dotted `spool.` metadata keys, never payload values). nil: the
    /// spool's logger, else silent. Spool never creates or bootstraps a logger.
    public var logger: Logger?
    /// Wall clock in Unix milliseconds, injectable for tests.
    public var now: @Sendable () -> Int64 = WallClock.nowMillis

    public init() {}

    /// The bounds the configuration file's keys are read within (and `validate()` applies to Swift values): wide
    /// enough for any sensible set-up, narrow enough that no conversion to milliseconds can overflow.
    public enum Limits {
        /// BigQuery's limit is 50,000 rows per insertAll request.
        public static let batchRows: ClosedRange<Int> = 1...50_000
        /// BigQuery refuses requests over 10 MB.
        public static let batchBytes: ClosedRange<Int> = 1...10_000_000
        /// `connectTimeoutSeconds`, `requestTimeoutSeconds`: a millisecond to a day.
        public static let timeoutSeconds: ClosedRange<Double> = 0.001...86_400
        /// `initialBackoffSeconds`, `maxBackoffSeconds`: a millisecond to a day.
        public static let backoffSeconds: ClosedRange<Double> = 0.001...86_400
        /// `maxRowAgeSeconds`: a second to a hundred years.
        public static let maxRowAgeSeconds: ClosedRange<Double> = 1...3_153_600_000
        /// `leaseSeconds`: a second to a day.
        public static let leaseSeconds: ClosedRange<Double> = 1...86_400
        /// `quotaBackoffSeconds`, `pauseRecheckSeconds`, `pollIntervalSeconds`, `gaugeIntervalSeconds`: a millisecond
        /// to a day.
        public static let intervalSeconds: ClosedRange<Double> = 0.001...86_400
        /// `shutdownDrainTimeoutSeconds`: none (stop at once) to a day.
        public static let shutdownDrainSeconds: ClosedRange<Double> = 0...86_400
        /// `poisonStrikes`.
        public static let poisonStrikes: ClosedRange<Int> = 1...1_000
    }

    /// Refuses values the uploader cannot work with (a zero batch, a zero timeout or lease, a backoff floor above its
    /// ceiling), naming the configuration file's key beside the property.
    public func validate() throws(SpoolError) {
        func refuse(_ message: String) -> SpoolError { SpoolError(.invalidConfiguration, message) }
        /// `batchRows (uploader.batchRows)`: the property and the key that sets it (`ConfigurationSchema`).
        func name(_ property: String) -> String {
            ConfigurationSchema.key(of: "UploaderConfiguration.\(property)").map { "\(property) (\($0))" } ?? property
        }
        if let batchRows, !Limits.batchRows.contains(batchRows) {
            throw refuse("\(name("batchRows")) must be 1 to 50,000 (got \(batchRows))")
        }
        guard Limits.batchBytes.contains(batchBytes) else {
            throw refuse("\(name("batchBytes")) must be 1 to 10,000,000 (got \(batchBytes))")
        }
        let positive: [(String, Duration?)] = [
            ("connectTimeout", connectTimeout), ("requestTimeout", requestTimeout), ("initialBackoff", initialBackoff),
            ("maxBackoff", maxBackoff), ("maxRowAge", maxRowAge), ("leaseDuration", leaseDuration), ("quotaBackoff", quotaBackoff),
            ("pauseRecheckInterval", pauseRecheckInterval), ("pollInterval", pollInterval), ("gaugeInterval", gaugeInterval),
        ]
        for case let (property, duration?) in positive where duration <= .zero {
            throw refuse("\(name(property)) must be positive (got \(duration))")
        }
        guard initialBackoff <= maxBackoff else {
            throw refuse("\(name("initialBackoff")) must not exceed \(name("maxBackoff")): got \(initialBackoff) and \(maxBackoff)")
        }
        guard shutdownDrainTimeout >= .zero, poisonStrikes >= 1 else {
            throw refuse("\(name("shutdownDrainTimeout")) must not be negative and \(name("poisonStrikes")) must be at least 1 (got \(shutdownDrainTimeout), \(poisonStrikes))")
        }
    }

    /// Where the uploader's access tokens come from.
    public enum CredentialsChoice: Sendable {
        /// Google's Application Default Credentials order; none for a loopback http endpoint (an emulator).
        case automatic
        /// No Authorization header (an emulator or a proxy that adds its own).
        case none
        /// A service account key or gcloud authorized_user file.
        case file(String)
        /// A provider of your own.
        case provider(any AccessTokenProvider)

        /// Why a word is not a credentials choice: `rule` reads after the setting's name.
        public struct Refusal: Error, Sendable {
            public let rule: String
        }

        /// The one reading of the words `uploader.credentials`, `SPOOL_CREDENTIALS` and `spoolctl --credentials`
        /// take: `automatic`, `none`, or the path of a key file. A word that is neither (a typo of a keyword) is
        /// refused rather than taken for a file name. The path is returned as written; the configuration file
        /// resolves it against its folder.
        public static func parse(_ text: String) -> Result<CredentialsChoice, Refusal> {
            switch text {
            case "automatic": return .success(.automatic)
            case "none": return .success(.none)
            default:
                guard text.contains("/") || text.hasSuffix(".json") else {
                    let hint = Suggestion.closest(to: text, among: ["automatic", "none"]).map { ": did you mean \"\($0)\"?" } ?? ""
                    return .failure(Refusal(rule: "must be \"automatic\", \"none\", or the path of a key file (got \(JSONValue.string(text).serialized()))\(hint)"))
                }
                return .success(.file(text))
            }
        }

        /// The word the configuration file would hold for this choice; nil for a provider of your own.
        var configurationText: String? {
            switch self {
            case .automatic: "automatic"
            case .none: "none"
            case .file(let path): path
            case .provider: nil
            }
        }
    }
}

extension UploaderConfiguration {
    /// insertAll's rows per request by default: BigQuery recommends 500.
    static let insertAllBatchRows = 500
    /// The Storage Write API's rows per AppendRows request by default. A request costs a round trip and BigQuery's own
    /// work whatever its size, and BigQuery takes up to 10 MB per request: on the emulator, 2,000 rows per request
    /// drained 26,200 rows/s where 500 drained 22,600.
    static let storageWriteBatchRows = 2_000

    /// `batchRows` as set, else the API's default.
    func batchRows(for api: DeliveryAPI) -> Int {
        batchRows ?? (api == .storageWrite ? Self.storageWriteBatchRows : Self.insertAllBatchRows)
    }
}
