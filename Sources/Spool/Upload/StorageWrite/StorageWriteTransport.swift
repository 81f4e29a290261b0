import BigQueryREST
import BigQueryStorageWrite
import Logging
import SpoolSchema
import SpoolStorage

/// Delivers batches exactly once with BigQuery's Storage Write API: one COMMITTED stream per event table, each row
/// appended at an offset the spool file keeps until BigQuery acknowledges it.
///
/// The path of a row: the engine claims it (`Outbox.claim(offsetsFirst:)`: rows already holding offsets first, in
/// offset order, alone) and judges it locally if it holds none; `send` splits the batch into AppendRows requests, gives
/// them the stream's next offsets and records them in one transaction (`Outbox.giveOffsets`) before anything is sent,
/// appends them pipelined on the stream's connection (`WriteStreamService.append`), and reads the answers
/// (`StorageWriteAnswers`). Whatever happens next — a timeout, a lost answer, a crash, a restart, a lease
/// takeover — the row is sent again at the same offset, and BigQuery answers ALREADY_EXISTS if it has it. Offsets are
/// taken back only when BigQuery said the rows were not written: `row_errors`, or a stream that can take no more,
/// whose finalized row count tells which rows it holds.
final class StorageWriteTransport: DeliveryTransport {
    private let service: any WriteStreamService
    private let outbox: Outbox
    private let destination: Destination
    private let settings: StorageWriteSettings
    /// Rows and JSON bytes per AppendRows request at most (the uploader's `batchRows`, and `batchBytes` within BigQuery's
    /// request limit).
    private let requestRows: Int
    private let requestBytes: Int
    /// The spool's schema files: the writer schema of a table, until BigQuery refuses it.
    private let localSchemas: [String: TableSchema]
    private let fetchRemoteSchema: (_ dataset: String, _ table: String) throws -> TableSchema
    private let now: @Sendable () -> Int64
    private let logger: Logger
    /// Tables' schemas as BigQuery has them, fetched when there is no schema file or BigQuery refused the writer schema.
    private var remoteSchemas: [String: TableSchema] = [:]
    /// Tables whose writer schema BigQuery refused once: their schema was fetched again, and a second refusal pauses them.
    private var schemaRefused: Set<String> = []
    /// Tables judged with BigQuery's schema since it differs from the schema file (drift): written with it too.
    private var drifted: Set<String> = []
    private var maintainedAt: Int64?

    init(
        service: any WriteStreamService, outbox: Outbox, destination: Destination, settings: StorageWriteSettings,
        requestRows: Int, requestBytes: Int, localSchemas: [String: TableSchema], fetchRemoteSchema: @escaping (_ dataset: String, _ table: String) throws -> TableSchema,
        now: @escaping @Sendable () -> Int64, logger: Logger
    ) {
        self.service = service
        self.outbox = outbox
        self.destination = destination
        self.settings = settings
        self.requestRows = requestRows
        self.requestBytes = min(requestBytes, settings.requestBytes)
        self.localSchemas = localSchemas
        self.fetchRemoteSchema = fetchRemoteSchema
        self.now = now
        self.logger = logger
    }

    var keepsRowOffsets: Bool { true }

    /// Rows are encoded to protobuf from the values local validation parsed.
    var reusesParsedRows: Bool { true }

    /// Several requests per batch, sent one after another on the stream's connection without waiting for answers.
    var requestsPerBatch: Int { settings.requestsPerBatch }
    var maxRequestBytes: Int? { requestBytes }

    func send(_ rows: ArraySlice<OutboxRow>, parsed: [JSONValue]?, to table: String) -> TransportOutcome {
        do throws(TransportFailure) {
            let (stream, requests) = try place(rows, parsed: parsed, table: table)
            let offsets = requests.flatMap { request in request.rows.indices.map { request.offset + Int64($0) } }
            let schema = try writerSchema(table)
            let outcomes: [AppendOutcome]
            do {
                outcomes = try service.append(stream: stream, schema: schema, requests: requests)
            } catch {
                if case .invalidRow(let index) = error.kind, rows.indices.contains(rows.startIndex + index) {
                    // Caught before sending: the row cannot be written; the rest get new offsets from its request on.
                    let request = StorageWriteAnswers.request(containing: offsets[index], in: requests)
                    try storage { () throws(SpoolError) in try outbox.releaseOffsets(table: table, stream: stream, from: request.offset) }
                    return .answered(StorageWriteAnswers.refused(offsets: offsets, rows: [offsets[index]: error.message], from: request.offset))
                }
                throw failure(error, table: table)
            }
            return try judge(outcomes, requests: requests, offsets: offsets, stream: stream, table: table)
        } catch {
            return .failed(error)
        }
    }

    // MARK: Offsets

    /// The stream and the rows as AppendRows requests: held rows in the requests they were sent in (split where a row
    /// has gone since), other rows in new requests at the stream's next offsets, recorded before anything is sent.
    /// Opens a stream when the table has none, and finalizes one that is due for rotation first. New requests carry the
    /// rows' `parsed` values, when given.
    private func place(
        _ rows: ArraySlice<OutboxRow>, parsed: [JSONValue]?, table: String
    ) throws(TransportFailure) -> (String, [AppendRequest]) {
        let current = try storage { () throws(SpoolError) in try outbox.writeStream(table: table) }
        if rows.first?.streamOffset != nil {
            guard let current else {
                // Cannot happen (a row holds an offset only while its table has a stream): start over with new ones.
                try storage { () throws(SpoolError) in try outbox.releaseOffsets(table: table, stream: "", from: Int64.min) }
                throw TransportFailure(action: .retry, message: "rows hold offsets of no recorded stream", description: "Storage Write: rows hold offsets of no recorded stream")
            }
            return (current.stream, StorageWriteAnswers.resent(rows))
        }
        var stream = current?.stream
        if let current, let reason = rotationReason(current) {
            try retire(current.stream, table: table, reason: reason)
            stream = nil
        }
        if stream == nil {
            stream = try open(table: table)
        }
        guard let stream else { throw TransportFailure.leaseLost }
        let split = StorageWriteAnswers.split(rows, maxRows: requestRows, maxBytes: requestBytes)
        let ids = split.map { $0.map(\.id) }
        guard let first = try storage({ () throws(SpoolError) in try outbox.giveOffsets(table: table, stream: stream, requests: ids, now: now()) }) else {
            throw TransportFailure(
                action: .retry, message: "not sent: the rows were given offsets by another uploader, or the stream was replaced",
                description: "no answer: not sent: the rows were given offsets by another uploader, or the stream was replaced"
            )
        }
        let values = parsed?.count == rows.count ? parsed : nil
        var offset = first
        return (stream, split.map { request in
            defer { offset += Int64(request.count) }
            let positions = (request.startIndex - rows.startIndex)..<(request.endIndex - rows.startIndex)
            return AppendRequest(offset: offset, rows: request.map(\.payload), parsedRows: values.map { Array($0[positions]) })
        })
    }

    private func open(table: String) throws(TransportFailure) -> String {
        let target = destination.target(for: table)
        let stream: String
        do {
            stream = try service.createStream(project: destination.project, dataset: target.dataset, table: target.table)
        } catch {
            throw failure(error, table: table)
        }
        guard try storage({ () throws(SpoolError) in try outbox.openWriteStream(table: table, stream: stream, now: now()) }) else {
            service.closeConnection(stream: stream)
            throw TransportFailure(action: .retry, message: "another uploader opened a stream for this table", description: "Storage Write: another uploader opened a stream for this table")
        }
        logger.info("write stream opened", metadata: ["spool.table": "\(table)", "spool.stream": "\(stream)"])
        return stream
    }

    /// Why a stream with no row waiting for an answer should be finalized now, nil when it may go on.
    private func rotationReason(_ state: WriteStreamState) -> String? {
        let current = now()
        if state.nextOffset >= settings.maxStreamRows { return "it holds \(state.nextOffset) rows" }
        if current - state.createdAt >= settings.maxStreamAge.inMilliseconds { return "it is older than \(settings.maxStreamAge)" }
        return nil
    }

    /// Finalizes `stream` and settles the rows holding offsets in it: those below its row count are in BigQuery and
    /// leave the outbox, the others get offsets in the next stream. A stream BigQuery no longer knows has no row count:
    /// its rows are all sent again (the one case that can duplicate: an answer lost, then the stream forgotten).
    /// Returns the row count.
    @discardableResult
    private func retire(_ stream: String, table: String, reason: String) throws(TransportFailure) -> Int64? {
        service.closeConnection(stream: stream)
        var written: Int64?
        do {
            written = try service.finalizeStream(stream)
        } catch where error.kind == .notFound {
            written = nil
        } catch {
            throw failure(error, table: table)
        }
        let settled = try storage { () throws(SpoolError) in try outbox.closeWriteStream(table: table, stream: stream, writtenRows: written) }
        logger.info("write stream finalized", metadata: [
            "spool.table": "\(table)", "spool.stream": "\(stream)", "spool.reason": "\(reason)",
            "spool.stream_rows": "\(written.map(String.init) ?? "unknown: BigQuery no longer knows the stream")",
            "spool.rows_settled": "\(settled)",
        ])
        return written
    }

    // MARK: Answers

    private func judge(
        _ outcomes: [AppendOutcome], requests: [AppendRequest], offsets: [Int64], stream: String, table: String
    ) throws(TransportFailure) -> TransportOutcome {
        guard outcomes.count == requests.count else {
            throw TransportFailure(
                action: .retry, message: "\(outcomes.count) answers to \(requests.count) requests",
                description: "Storage Write: \(outcomes.count) answers to \(requests.count) requests"
            )
        }
        let verdict = StorageWriteAnswers.verdict(outcomes, requests: requests)
        switch verdict.deciding {
        case nil:
            return .answered(offsets.map { _ in .accepted })
        case .rowErrors(let request, let messages):
            // Nothing of that request was written, nor anything after it: the rest get new offsets from there on.
            try storage { () throws(SpoolError) in try outbox.releaseOffsets(table: table, stream: stream, from: request.offset) }
            var outcomes = StorageWriteAnswers.refused(offsets: offsets, rows: messages, from: request.offset)
            for (index, offset) in offsets.enumerated() where offset < request.offset {
                outcomes[index] = offset < verdict.acknowledgedEnd ? .accepted : .resend
            }
            return .answered(outcomes)
        case .streamEnded(let message):
            let written = try retire(stream, table: table, reason: message)
            let end = max(verdict.acknowledgedEnd, written ?? verdict.acknowledgedEnd)
            return .answered(offsets.map { $0 < end ? .accepted : .retry(error: "Storage Write: stream replaced (\(message))") })
        case .failed(let error):
            let failure = failure(error, table: table)
            guard verdict.acknowledgedEnd > requests[0].offset else { throw failure }
            return .answered(offsets.map { $0 < verdict.acknowledgedEnd ? .accepted : .retry(error: failure.description) })
        }
    }

    /// A failed call or in-stream error in the uploader's terms, after insertAll's table (`InsertAll/InsertAllAnswers.swift`).
    private func failure(_ error: WriteStreamError, table: String) -> TransportFailure {
        var action: FailureAction
        var suspectsSchemaChange = false
        switch error.kind {
        case .transient, .invalidRow:
            action = .retry
        case .quota:
            action = .quota
        case .permission:
            action = .pause(reason: "accessDenied")
        case .notFound:
            action = .pause(reason: "notFound")
        case .schemaMismatch:
            if schemaRefused.insert(table).inserted {
                // Fetch the table's schema once and write with it; the engine checks drift for local validation.
                remoteSchemas[table] = nil
                action = .retry
                suspectsSchemaChange = true
            } else {
                action = .pause(reason: "invalidSchema")
            }
        case .other:
            action = .pause(reason: "invalidRequest")
        }
        var failure = TransportFailure(
            action: action, reason: error.status, message: error.message, status: error.status, description: "Storage Write API: \(error)"
        )
        failure.suspectsSchemaChange = suspectsSchemaChange
        return failure
    }

    // MARK: Schemas

    /// The schema rows are written with: the table's schema file, or BigQuery's own when there is none, BigQuery refused
    /// the file's, or the engine found the table drifted from the file (it then judges rows with BigQuery's: a column the
    /// file lacks would otherwise be dropped from every row on the way, since the writer schema has no field for it).
    private func writerSchema(_ table: String) throws(TransportFailure) -> TableSchema {
        if !schemaRefused.contains(table) && !drifted.contains(table), let local = localSchemas[table] { return local }
        if let remote = remoteSchemas[table] { return remote }
        let target = destination.target(for: table)
        do {
            let remote = try fetchRemoteSchema(target.dataset, target.table)
            remoteSchemas[table] = remote
            return remote
        } catch let error as BigQueryError {
            var failure = InsertAllAnswers.transportFailure(error.failure)
            if case .pause = failure.action {} else if failure.action != .quota { failure.action = .retry }
            failure.description = "\(error)"
            throw failure
        } catch {
            throw TransportFailure(action: .retry, message: "\(error)", description: "tables.get \(target.dataset).\(target.table): \(error)")
        }
    }

    func useSchema(_ schema: TableSchema, table: String) {
        drifted.insert(table)
        remoteSchemas[table] = schema
    }

    // MARK: Housekeeping

    /// Finalizes the streams that are idle or due for rotation and wait for no answer, at most once per
    /// `maintenanceInterval`.
    func maintain() {
        let current = now()
        if let maintainedAt, current - maintainedAt < settings.maintenanceInterval.inMilliseconds { return }
        maintainedAt = current
        guard let streams = try? outbox.writeStreams() else { return }
        for state in streams where state.heldRows == 0 {
            let idle = current - state.lastUsedAt >= settings.idleAfter.inMilliseconds
            guard let reason = idle ? "idle since \(state.lastUsedAt)" : rotationReason(state) else { continue }
            do throws(TransportFailure) {
                try retire(state.stream, table: state.table, reason: reason)
            } catch {
                logger.info("could not finalize a write stream; trying again later", metadata: [
                    "spool.table": "\(state.table)", "spool.stream": "\(state.stream)", "spool.error": "\(error.description)",
                ])
            }
        }
    }

    /// The uploader stops: streams no row waits on are finalized (a host that never starts again leaves none open);
    /// the others keep their offsets for the next uploader, and only their connections are closed. Without
    /// `finalizing` (the lease is lost or given up), nothing is sent.
    func finish(finalizing: Bool) {
        for state in (try? outbox.writeStreams()) ?? [] {
            guard finalizing, state.heldRows == 0 else {
                service.closeConnection(stream: state.stream)
                continue
            }
            do throws(TransportFailure) {
                try retire(state.stream, table: state.table, reason: "the uploader stops")
            } catch {
                logger.info("could not finalize a write stream at stop; the next uploader will", metadata: [
                    "spool.table": "\(state.table)", "spool.stream": "\(state.stream)", "spool.error": "\(error.description)",
                ])
            }
        }
    }

    /// A spool file error while keeping the books: nothing was sent, or what was sent is sent again later.
    private func storage<R>(_ body: () throws(SpoolError) -> R) throws(TransportFailure) -> R {
        do {
            return try body()
        } catch {
            throw TransportFailure(action: .retry, message: error.message, description: "the spool file: \(error.message)")
        }
    }
}
