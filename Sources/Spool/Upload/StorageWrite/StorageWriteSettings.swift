/// How the Storage Write transport sizes requests and when it finalizes a table's stream and starts a new one.
/// Code-only settings with defaults that suit BigQuery's limits; tests make them small.
package struct StorageWriteSettings: Sendable {
    /// A stream older than this is finalized before the next batch gets offsets (none is kept open for ever).
    package var maxStreamAge: Duration = .seconds(4 * 3600)
    /// A stream whose next offset reached this is finalized before the next batch gets offsets.
    package var maxStreamRows: Int64 = 50_000_000
    /// A stream that gave no row an offset for this long, with no row waiting for an answer, is finalized.
    package var idleAfter: Duration = .seconds(30 * 60)
    /// How often idle and old streams are looked for, between passes.
    package var maintenanceInterval: Duration = .seconds(10)
    /// JSON payload bytes per AppendRows request at most (below the uploader's `batchBytes`): BigQuery refuses requests
    /// over 10 MB, and a row's protobuf encoding is no longer than its JSON text plus a few bytes per field.
    package var requestBytes: Int = 8_000_000
    /// AppendRows requests per batch (each of up to `batchRows` rows), written one after another on the stream's
    /// connection before the first answer is awaited: the round trips and BigQuery's work on one request overlap the
    /// sending of the next. Two requests of the default 2,000 rows keep a batch of seed events within the 2 MB of
    /// JSON whose parsed values are kept for encoding (`DeliveryEngine.parsedRowsBudget`).
    package var requestsPerBatch: Int = 2

    package init() {}
}
