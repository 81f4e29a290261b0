import BigQueryStorageWrite
import SpoolSchema
import Synchronization

/// BigQuery's Storage Write API in memory, as Google documents COMMITTED streams (DESIGN.md): rows land at their
/// offsets as they are appended; an offset written before answers ALREADY_EXISTS, one beyond the end OUT_OF_RANGE;
/// `row_errors` write nothing of the request; a finalized or forgotten stream takes no more rows. Faults make it lose
/// an answer after applying a call (the connection died), fail a call before applying it, or forget a stream, which
/// the emulator cannot do.
public final class InMemoryWriteStreamService: WriteStreamService {
    /// One way a call goes wrong, used up by the next `append`.
    public enum Fault: Sendable {
        /// The call is applied, then the answer is lost: it throws `transient`.
        case loseAnswer
        /// The call throws `error` before anything is applied.
        case fail(WriteStreamError)
        /// The request at `index` is answered with the in-stream `error` and not applied; the others are processed.
        case failRequest(index: Int, WriteStreamError)
    }

    public struct AppendCall: Sendable {
        public var stream: String
        public var requests: [AppendRequest]
        public var schemaFields: [String]
    }

    private struct Stream {
        var table: String
        var rows: Int64 = 0
        var finalized = false
    }

    private struct State {
        var streams: [String: Stream] = [:]
        var created = 0
        /// Rows as stored, per `dataset.table`, in the order they landed.
        var tables: [String: [String]] = [:]
        var faults: [Fault] = []
        var createFaults: [WriteStreamError] = []
        var calls: [AppendCall] = []
        var finalized: [String] = []
        var closed: [String] = []
        /// ALREADY_EXISTS answers to a request that reached past the stream's end: rows of it were never written.
        var partialOverlaps = 0
        /// `dataset.table` → its columns: a writer schema with another field is refused (`schemaMismatch`).
        var tableFields: [String: Set<String>] = [:]
    }

    private let state = Mutex(State())
    /// BigQuery's verdict on a row (nil: accepted), else every row is accepted.
    private let judge: (@Sendable (_ json: String) -> String?)?

    public init(judge: (@Sendable (_ json: String) -> String?)? = nil) {
        self.judge = judge
    }

    // MARK: Faults and views for tests

    public func inject(_ faults: Fault...) {
        state.withLock { $0.faults += faults }
    }

    public func failNextCreate(_ error: WriteStreamError) {
        state.withLock { $0.createFaults.append(error) }
    }

    /// BigQuery no longer knows the stream (its rows stay in the table).
    public func forget(_ stream: String) {
        _ = state.withLock { $0.streams.removeValue(forKey: stream) }
    }

    /// Someone else finalized the stream.
    public func finalizeBehindTheUploader(_ stream: String) {
        state.withLock { $0.streams[stream]?.finalized = true }
    }

    public func setTableFields(dataset: String, table: String, _ fields: Set<String>) {
        state.withLock { $0.tableFields["\(dataset).\(table)"] = fields }
    }

    public func rows(dataset: String, table: String) -> [String] {
        state.withLock { $0.tables["\(dataset).\(table)"] ?? [] }
    }

    /// The `event_id` of every stored row, duplicates included.
    public func eventIds(dataset: String, table: String) -> [String] {
        rows(dataset: dataset, table: table).compactMap { (try? JSONParser.parse($0))?.objectValue?["event_id"]?.stringValue }
    }

    public var calls: [AppendCall] { state.withLock { $0.calls } }
    public var createdStreams: Int { state.withLock { $0.created } }
    public var finalizedStreams: [String] { state.withLock { $0.finalized } }
    public var closedConnections: [String] { state.withLock { $0.closed } }
    public var partialOverlaps: Int { state.withLock { $0.partialOverlaps } }
    public var openStreams: [String] { state.withLock { $0.streams.filter { !$0.value.finalized }.keys.sorted() } }

    // MARK: WriteStreamService

    public func createStream(project: String, dataset: String, table: String) throws(WriteStreamError) -> String {
        try state.withLock { (state: inout State) throws(WriteStreamError) -> String in
            if !state.createFaults.isEmpty { throw state.createFaults.removeFirst() }
            state.created += 1
            let name = "projects/\(project)/datasets/\(dataset)/tables/\(table)/streams/s\(state.created)"
            state.streams[name] = Stream(table: "\(dataset).\(table)")
            return name
        }
    }

    public func append(stream: String, schema: TableSchema, requests: [AppendRequest]) throws(WriteStreamError) -> [AppendOutcome] {
        try state.withLock { (state: inout State) throws(WriteStreamError) -> [AppendOutcome] in
            let fields = schema.fields.map(\.name)
            state.calls.append(AppendCall(stream: stream, requests: requests, schemaFields: fields))
            let fault = state.faults.isEmpty ? nil : state.faults.removeFirst()
            if case .fail(let error) = fault { throw error }
            var outcomes: [AppendOutcome] = []
            for (index, request) in requests.enumerated() {
                if case .failRequest(index, let error) = fault {
                    outcomes.append(.failed(error))
                    continue
                }
                outcomes.append(Self.apply(request, stream: stream, fields: fields, state: &state, judge: judge))
            }
            if case .loseAnswer = fault {
                throw WriteStreamError(kind: .transient, status: "UNAVAILABLE", message: "the connection was reset before the answer arrived")
            }
            return outcomes
        }
    }

    private static func apply(
        _ request: AppendRequest, stream name: String, fields: [String], state: inout State, judge: (@Sendable (String) -> String?)?
    ) -> AppendOutcome {
        guard var stream = state.streams[name] else {
            return .streamUnusable(message: "NOT_FOUND: Requested entity was not found. Entity: \(name)")
        }
        guard !stream.finalized else {
            return .streamUnusable(message: "FAILED_PRECONDITION: Stream is finalized: \(name)")
        }
        if let columns = state.tableFields[stream.table], let unknown = fields.first(where: { !columns.contains($0) }) {
            return .failed(WriteStreamError(kind: .schemaMismatch, status: "INVALID_ARGUMENT", message: "Input schema has more fields than BigQuery schema, extra fields: '\(unknown)'"))
        }
        if request.offset < stream.rows {
            if request.offset + Int64(request.rows.count) > stream.rows { state.partialOverlaps += 1 }
            return .alreadyExists
        }
        if request.offset > stream.rows {
            return .outOfRange(message: "OUT_OF_RANGE: The offset is beyond stream, expected offset \(stream.rows), received \(request.offset)")
        }
        let failures = request.rows.enumerated().compactMap { index, row in
            judge?(row).map { AppendOutcome.RowFailure(index: index, code: "FIELDS_ERROR", message: $0) }
        }
        guard failures.isEmpty else { return .rowErrors(failures) }
        state.tables[stream.table, default: []] += request.rows
        stream.rows += Int64(request.rows.count)
        state.streams[name] = stream
        return .appended(offset: request.offset)
    }

    public func finalizeStream(_ stream: String) throws(WriteStreamError) -> Int64 {
        try state.withLock { (state: inout State) throws(WriteStreamError) -> Int64 in
            guard var known = state.streams[stream] else {
                throw WriteStreamError(kind: .notFound, status: "NOT_FOUND", message: "Requested entity was not found. Entity: \(stream)")
            }
            known.finalized = true
            state.streams[stream] = known
            state.finalized.append(stream)
            return known.rows
        }
    }

    public func closeConnection(stream: String) {
        state.withLock { $0.closed.append(stream) }
    }
}
