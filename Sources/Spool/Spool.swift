import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// A durable local outbox for analytics events, drained to BigQuery in the background.
///
/// ```swift
/// let spool = try Spool(path: "/var/lib/api/spool.db", configuration: Spool.Configuration())
/// let id = try spool.append(json: #"{"event_id":"e1","user_id":"u1"}"#, to: "user_search_events")
/// try spool.append(event, to: "user_search_events")   // any Encodable
/// ```
///
/// `append` returns once the row is committed to the local SQLite file (WAL mode); it never touches the network and
/// is safe from any thread or task at once. Delivery to BigQuery is the job of a `SpoolUploader`, in this process
/// or another one (`spoolctl drain`).
public final class Spool: Sendable {
    public let path: String
    public let configuration: Configuration
    /// The storage, for this library and its tests and benchmarks; tools use the public methods.
    package let outbox: Outbox
    let metrics: SpoolMetrics
    /// Strict mode's schema verdicts (no destination is known to `append`).
    let schemaPolicy: SchemaPolicy

    /// Opens (creating and migrating when needed) the spool file at `path`.
    ///
    /// Throws `SpoolError` with `.cannotOpen` for a missing directory, `.notADatabase`, `.corrupt` or `.newerVersion`
    /// for a file it must not touch, `.readOnly` when the file cannot be written; with `configuration.opening` other
    /// than `.createOrMigrate`, `.notASpool` for a file that is not one and `.olderVersion` where it must not migrate.
    public init(path: String, configuration: Configuration = Configuration()) throws(SpoolError) {
        try configuration.validate()
        self.path = path
        self.configuration = configuration
        var options = Outbox.Options()
        options.synchronous = configuration.durability == .full ? .full : .normal
        options.fullSyncTables = configuration.fullDurabilityTables
        options.vfs = configuration.vfs
        options.busyTimeout = configuration.busyTimeout
        options.maxPendingRows = configuration.maxPendingRows.map(Int64.init)
        options.maxPendingBytes = configuration.maxPendingBytes
        options.capPolicy = configuration.capPolicy
        options.maxDatabaseBytes = configuration.maxDatabaseBytes
        options.checkpointBytes = configuration.effectiveCheckpointBytes
        options.walMaxBytes = configuration.walMaxBytes
        options.logger = configuration.logger
        options.access = configuration.readOnly ? .readOnly : .readWrite
        options.opening = configuration.opening
        self.outbox = try Outbox(path: path, options: options)
        self.metrics = SpoolMetrics(labelPrefix: configuration.metricsLabelPrefix)
        self.schemaPolicy = SchemaPolicy(configuration: configuration, destination: nil)
    }

    deinit {
        outbox.close()
    }

    /// Closes the file. Appends after this throw `.closed`. Safe to call twice.
    public func close() {
        outbox.close()
    }

    // MARK: Appending

    /// Commits one event — a JSON object text — for `table`, and returns its insert id.
    ///
    /// - Parameters:
    ///   - json: one JSON object: the row exactly as BigQuery's insertAll `json` member takes it.
    ///   - table: the event table (mapped to a BigQuery dataset and table by the uploader's destination).
    ///   - insertId: BigQuery's de-duplication id, sent on every try; a new UUID when nil.
    /// - Throws: `SpoolError` — `.invalidJSON`, `.notAnObject`, `.invalidTableName`, `.rowTooLarge`,
    ///   `.invalidInsertId`, `.spoolFull`, `.diskFull`, and in strict mode `.unknownTable` / `.schemaViolation`.
    ///   Nothing is written when it throws.
    @discardableResult
    public func append(json: String, to table: String, insertId: String? = nil) throws(SpoolError) -> String {
        let started = ContinuousClock.now
        try checkRow(json, table: table)
        let id = try insertId.map { (id: String) throws(SpoolError) -> String in try Self.validInsertId(id) } ?? InsertID.make()
        if configuration.strictSchemas {
            try validate(json, table: table)
        }
        let evicted = try outbox.append(table: table, insertId: id, payload: json, now: configuration.now())
        metrics.appended(table: table, evicted: evicted, duration: ContinuousClock.now - started)
        return id
    }

    /// Encodes `event` as a JSON object and commits it for `table`; returns its insert id.
    ///
    /// Dates are written as ISO-8601 UTC TIMESTAMP text. Use `CodingKeys` for BigQuery's column names.
    @discardableResult
    public func append<Event: Encodable>(_ event: Event, to table: String, insertId: String? = nil) throws(SpoolError) -> String {
        try append(json: try EventEncoding.encode(event), to: table, insertId: insertId)
    }

    /// The checks `append` makes before anything else (strict schemas aside): a valid table name, the size limit,
    /// one JSON object. `requeueDeadLetters` applies them too, so nothing goes back that the outbox refuses.
    func checkRow(_ json: String, table: String) throws(SpoolError) {
        try TableName.validate(table)
        var json = json
        let size = json.utf8.count
        guard size <= configuration.maxRowBytes else {
            throw SpoolError(.rowTooLarge, "a row of \(size) bytes for \(table) is over the limit of \(configuration.maxRowBytes) bytes")
        }
        try json.withUTF8 { bytes in Result { () throws(JSONParseError) in try JSONSyntax.validateObject(UnsafeRawBufferPointer(bytes)) } }
            .mapError { Self.jsonError($0, table: table) }
            .get()
    }

    private static func validInsertId(_ id: String) throws(SpoolError) -> String {
        guard !id.isEmpty, id.count <= 128 else {
            throw SpoolError(.invalidInsertId, "an insert id must be 1 to 128 characters (got \(id.count))")
        }
        return id
    }

    private static func jsonError(_ error: JSONParseError, table: String) -> SpoolError {
        if error.code == .notAnObject {
            return SpoolError(.notAnObject, "a row for \(table) must be a JSON object, not another JSON value")
        }
        return SpoolError(.invalidJSON, "a row for \(table) is not valid JSON: \(error)", location: "byte \(error.offset)")
    }

    private func validate(_ json: String, table: String) throws(SpoolError) {
        guard let validator = schemaPolicy.validator(for: table) else {
            throw SpoolError(.unknownTable, "strict mode: no schema is configured for table \(table) (known: \(schemaPolicy.tables.joined(separator: ", ")))")
        }
        if let failure = validator.validate(json: json) {
            throw SpoolError(
                .schemaViolation,
                "the row does not match the schema of \(table): reason \(failure.reason) at \(failure.location.isEmpty ? "the row" : failure.location)",
                location: failure.location, detail: failure.message
            )
        }
    }

    // MARK: Inspecting

    /// The schema version of the spool at `path`, read without changing anything. Throws `.notASpool` for an empty
    /// file or another SQLite database, `.notADatabase`, `.newerVersion`, `.cannotOpen` for a missing file.
    public static func schemaVersion(of path: String) throws(SpoolError) -> Int64 {
        try SpoolFile.schemaVersion(of: path)
    }

    /// A snapshot of what waits, what failed and who drains this file.
    public func status() throws(SpoolError) -> SpoolStatus {
        try outbox.status()
    }

    /// Recounts the per-table running totals (pending rows and bytes, dead letters by reason) from the rows and
    /// returns every figure that differs; empty when they agree. Reads every row: a check, not a status.
    public func totalsDrift() throws(SpoolError) -> [TotalsDrift] {
        try outbox.totalsDrift()
    }

    /// Rewrites the running totals from the rows in one transaction and returns the drift it corrected.
    public func repairTotals() throws(SpoolError) -> [TotalsDrift] {
        try outbox.repairTotals()
    }
}
