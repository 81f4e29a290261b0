import SpoolSchema

/// BigQuery's Storage Write API as the uploader needs it: application-created COMMITTED streams, rows appended at
/// explicit offsets, and the verdicts that make exactly-once delivery possible.
///
/// The gRPC implementation (`google.cloud.bigquery.storage.v1.BigQueryWrite`) lives in this target; the uploader
/// (`Sources/Spool/Upload/StorageWrite/`) sees only this protocol, so its exactly-once bookkeeping is tested without
/// a network. Calls block the calling thread (the uploader's own) for at most the implementation's timeout.
public protocol WriteStreamService: Sendable {
    /// Creates a COMMITTED write stream on `projects/<project>/datasets/<dataset>/tables/<table>` and returns its
    /// full name (`projects/…/streams/…`).
    func createStream(project: String, dataset: String, table: String) throws(WriteStreamError) -> String

    /// Appends each request in order on the stream's one connection, pipelined (all are sent before the first
    /// answer is awaited), and returns one outcome per request in the same order. The rows are JSON objects already
    /// checked against `schema` by local validation; they are encoded to protobuf with a writer schema derived from
    /// `schema`. A connection opened earlier with a different schema is replaced.
    ///
    /// Throws only when the call as a whole failed (no connection, the RPC ended): then no outcome is known and
    /// any request may or may not have been appended; resending at the same offsets is safe.
    func append(stream: String, schema: TableSchema, requests: [AppendRequest]) throws(WriteStreamError) -> [AppendOutcome]

    /// Finalizes the stream (no more appends) and returns its row count. Finalizing a finalized stream succeeds.
    func finalizeStream(_ stream: String) throws(WriteStreamError) -> Int64

    /// Closes the stream's connection, if one is open (before finalizing, on shutdown, when a stream is replaced).
    func closeConnection(stream: String)
}

/// One AppendRows request: rows written at `offset`, `offset + 1`, ….
public struct AppendRequest: Sendable, Equatable {
    /// The offset of the first row in the stream.
    public var offset: Int64
    /// Each row's JSON object text, as appended.
    public var rows: [String]
    /// The same rows already parsed (by local validation), so that encoding does not parse them again; nil: they are
    /// parsed from `rows`.
    public var parsedRows: [JSONValue]?

    public init(offset: Int64, rows: [String], parsedRows: [JSONValue]? = nil) {
        self.offset = offset
        self.rows = rows
        self.parsedRows = parsedRows
    }

    /// Equal when the same rows go at the same offset: `parsedRows` only saves work.
    public static func == (lhs: AppendRequest, rhs: AppendRequest) -> Bool {
        lhs.offset == rhs.offset && lhs.rows == rhs.rows
    }
}

/// BigQuery's answer to one AppendRows request. The connection stays usable after every one of these.
public enum AppendOutcome: Sendable, Equatable {
    /// Every row was appended; `offset` echoes the request's first offset.
    case appended(offset: Int64)
    /// The offset was written before (`ALREADY_EXISTS`): these rows are in the table already.
    case alreadyExists
    /// The offset lies beyond the stream's end (`OUT_OF_RANGE`): an earlier request did not land; resend from the
    /// first unacknowledged offset.
    case outOfRange(message: String)
    /// BigQuery refused some rows (`row_errors`): nothing of the request was appended. `index` counts from the
    /// request's first row.
    case rowErrors([RowFailure])
    /// The stream can take no more rows (finalized, expired, deleted, not found): replace it.
    case streamUnusable(message: String)
    /// Any other in-stream error (`google.rpc.Status` in the response).
    case failed(WriteStreamError)

    public struct RowFailure: Sendable, Equatable {
        public var index: Int
        /// BigQuery's RowError code, spelled as the API names it (`FIELDS_ERROR`, …).
        public var code: String
        public var message: String

        public init(index: Int, code: String, message: String) {
            self.index = index
            self.code = code
            self.message = message
        }
    }
}

/// A failed call or an in-stream error, classified so the uploader maps it like insertAll's failures.
public struct WriteStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED, INTERNAL (also CANCELLED and UNKNOWN, which grpc-swift reports
        /// for some broken connections), a dropped connection, no answer in time: retry with backoff.
        case transient
        /// RESOURCE_EXHAUSTED: a quota; back off for long.
        case quota
        /// PERMISSION_DENIED, UNAUTHENTICATED, or the table/dataset is missing: pause the table, keep its rows.
        case permission
        case notFound
        /// INVALID_ARGUMENT about the writer schema or the table's schema: re-fetch the table's schema once.
        case schemaMismatch
        /// A row that cannot be encoded against the schema (caught before sending: nothing of the call was sent).
        /// Thrown by `append`, `index` counts the call's rows across its requests, in order; in an in-stream
        /// `.failed`, it counts from that request's first row.
        case invalidRow(index: Int)
        /// Anything else (INVALID_ARGUMENT on the request, UNIMPLEMENTED …).
        case other
    }

    public var kind: Kind
    /// The gRPC status as the API names it (`UNAVAILABLE`), or nil when no status was received.
    public var status: String?
    /// BigQuery's message or the transport's own; never a row's payload or a token.
    public var message: String

    public init(kind: Kind, status: String? = nil, message: String) {
        self.kind = kind
        self.status = status
        self.message = message
    }

    public var description: String {
        status.map { "\($0): \(message)" } ?? message
    }
}
