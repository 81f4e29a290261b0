import BigQueryREST
import SpoolSchema
import SpoolStorage

/// The seam between the uploader and the wire: one request carrying a claimed batch of one event table, answered in
/// terms the uploader can act on without knowing the protocol.
///
/// insertAll (`InsertAll/InsertAllTransport.swift`) is the first implementation; the Storage Write API
/// (`StorageWrite/StorageWriteTransport.swift`) the second. A transport is called on the uploader's own thread and may
/// block for as long as its request timeout. insertAll never touches the outbox; the Storage Write transport keeps its
/// streams and the rows' offsets there (`SpoolStorage/Outbox/WriteStreams.swift`), never their verdicts.
protocol DeliveryTransport {
    /// Sends `rows` (in order, at least one) for `table`, the event table they were appended to. `parsed`, when given,
    /// holds each row's payload as local validation parsed it (same order and count).
    func send(_ rows: ArraySlice<OutboxRow>, parsed: [JSONValue]?, to table: String) -> TransportOutcome

    /// True when the transport re-encodes rows and takes `parsed` values for it (otherwise none are kept for it).
    var reusesParsedRows: Bool { get }

    /// True when rows are sent at offsets they keep until acknowledged: the engine claims rows holding offsets before
    /// any other, alone, and never judges them again locally (they may be in BigQuery already).
    var keepsRowOffsets: Bool { get }

    /// How many requests of up to `batchRows` rows one batch is sent as (the transport splits it; the engine claims
    /// that many rows at most).
    var requestsPerBatch: Int { get }

    /// The most payload bytes one request may carry, when the transport needs less than `batchBytes` (nil: no limit
    /// of its own).
    var maxRequestBytes: Int? { get }

    /// From now on `table`'s rows are judged with `schema`, BigQuery's own, which differs from the local file (drift): a
    /// transport that encodes rows by schema writes with it, so that no field the table has is dropped.
    func useSchema(_ schema: TableSchema, table: String)

    /// Between passes, with the lease held: housekeeping of the transport's own (finalizing idle streams).
    func maintain()

    /// The uploader stops: close connections and, with `finalizing` (the lease still held), finalize what is done.
    func finish(finalizing: Bool)
}

extension DeliveryTransport {
    var keepsRowOffsets: Bool { false }
    var reusesParsedRows: Bool { false }
    var requestsPerBatch: Int { 1 }
    var maxRequestBytes: Int? { nil }
    func useSchema(_ schema: TableSchema, table: String) {}
    func maintain() {}
    func finish(finalizing: Bool) {}
}

/// What became of one request.
enum TransportOutcome: Sendable, Equatable {
    /// The service answered for each row: `rows[i]` of the request is `outcomes[i]`.
    case answered([RowOutcome])
    /// No row-level answer: the request as a whole failed.
    case failed(TransportFailure)
}

/// The service's verdict on one row of an answered request.
enum RowOutcome: Sendable, Equatable {
    /// Stored.
    case accepted
    /// Refused for good: it goes to dead_letters with the service's words.
    case invalid(DeadLetterReason)
    /// Not stored, but valid: it was held back because another row of the request was invalid. Sent again as it is.
    case resend
    /// Not stored for a passing reason (a timeout, a backend error): retried after a backoff. `error` is kept in
    /// the row's last error.
    case retry(error: String)
}

/// A request that got no row-level answer, classified by the transport.
struct TransportFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What the uploader does about it.
    var action: FailureAction
    /// The service's reason word (`invalid`, `internalError` …), used as a dead letter's reason when a row is
    /// refused alone.
    var reason: String?
    /// The service's message, or the transport's own explanation.
    var message: String
    /// The status as the protocol names it (`HTTP 500`), for dead-letter messages.
    var status: String?
    /// The earliest time the service asked to be tried again (HTTP's Retry-After).
    var retryAfter: RetryAfter?
    /// The whole failure in one line, kept as the rows' and the table's last error.
    var description: String
    /// The service refused the request's schema: the engine compares the table's remote schema with the local one
    /// (drift), as after a row refused that local validation accepted.
    var suspectsSchemaChange = false

    /// The uploader's own failure for a request it did not send: the lease was lost before it.
    static let leaseLost = TransportFailure(
        action: .retry, message: "not sent: this uploader no longer holds the spool's lease",
        description: "no answer: not sent: this uploader no longer holds the spool's lease"
    )
}
