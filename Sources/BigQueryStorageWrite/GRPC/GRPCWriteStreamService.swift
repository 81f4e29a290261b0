import BigQueryREST
import Dispatch
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Logging
import SpoolSchema
import SwiftProtobuf
import Synchronization

/// The Storage Write API over gRPC (grpc-swift 2, HTTP/2 over NIO): `google.cloud.bigquery.storage.v1.BigQueryWrite`
/// with application-created COMMITTED streams.
///
/// Every call blocks the calling thread until it is answered or its timeout passes, so call from a thread of your
/// own (the uploader's). The client's async work runs on a thread of its own (`DedicatedThreadExecutor`), not on Swift
/// concurrency's shared pool, so a busy pool does not delay its answers. Each write stream gets one AppendRows connection, kept open between appends and replaced when it ends.
/// Every call carries `authorization: Bearer <token>` (when `accessToken` gives one) and the routing header
/// `x-goog-request-params` naming the table or stream.
public final class GRPCWriteStreamService: WriteStreamService {
    public struct Configuration: Sendable {
        /// The deadline of CreateWriteStream and FinalizeWriteStream calls.
        public var callTimeout: Duration
        /// How long one `append` waits for all of its answers.
        public var appendTimeout: Duration

        public init(callTimeout: Duration = .seconds(30), appendTimeout: Duration = .seconds(60)) {
            self.callTimeout = callTimeout
            self.appendTimeout = appendTimeout
        }
    }

    /// gRPC message size limit both ways: above AppendRows' 10 MB request limit, so that BigQuery, not the
    /// client, refuses an oversized request with its own message.
    static let maximumMessageBytes = 16 * 1024 * 1024

    public let endpoint: WriteEndpoint
    public let configuration: Configuration
    private let accessToken: WriteAccessToken
    private let logger: Logger
    private let client: GRPCClient<HTTP2ClientTransport.Posix>

    private struct State {
        /// The client's connections, run on `thread` from the first call until the client stops.
        var running: Task<Void, Never>?
        var thread: DedicatedThreadExecutor?
        /// Signalled once `running` has returned.
        let stopped = DispatchSemaphore(value: 0)
        var connections: [String: AppendConnection] = [:]
        var closed = false
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - endpoint: `https://host[:443]` (TLS with the system's trust roots) or `http://127.0.0.1:PORT`
    ///     (plaintext, an emulator); see `WriteEndpoint`.
    ///   - accessToken: where each call's bearer token comes from; `.none` for an emulator.
    public convenience init(
        endpoint: String, accessToken: WriteAccessToken, configuration: Configuration = Configuration(), logger: Logger
    ) throws(WriteStreamError) {
        try self.init(
            endpoint: WriteEndpoint(url: endpoint), accessToken: accessToken, configuration: configuration, logger: logger)
    }

    public init(
        endpoint: WriteEndpoint, accessToken: WriteAccessToken, configuration: Configuration = Configuration(), logger: Logger
    ) throws(WriteStreamError) {
        self.endpoint = endpoint
        self.accessToken = accessToken
        self.configuration = configuration
        self.logger = logger
        do {
            let transport = try HTTP2ClientTransport.Posix(
                target: .dns(host: endpoint.host, port: endpoint.port),
                transportSecurity: endpoint.usesTLS ? .tls : .plaintext)
            client = GRPCClient(transport: transport)
        } catch {
            throw WriteStreamError(kind: .other, message: "cannot set up a gRPC client for \(endpoint): \(error)")
        }
    }

    deinit {
        let connections = state.withLock { $0.connections.values }
        for connection in connections { connection.close() }
        client.beginGracefulShutdown()
    }

    /// Closes every connection and stops the client; calls made afterwards fail. Blocks up to `callTimeout` while
    /// the client stops (like every call here, from a thread of your own). Calling it twice is harmless.
    public func close() {
        let (connections, running, stopped) = state.withLock { state in
            state.closed = true
            let connections = Array(state.connections.values)
            state.connections = [:]
            return (connections, state.running, state.stopped)
        }
        for connection in connections { connection.close() }
        client.beginGracefulShutdown()
        guard let running else { return }
        if stopped.wait(timeout: .now() + seconds(configuration.callTimeout)) == .timedOut {
            running.cancel()
        } else {
            stopped.signal()  // for a second close()
        }
    }

    // MARK: WriteStreamService

    public func createStream(project: String, dataset: String, table: String) throws(WriteStreamError) -> String {
        let parent = "projects/\(project)/datasets/\(dataset)/tables/\(table)"
        var request = Google_Cloud_Bigquery_Storage_V1_CreateWriteStreamRequest()
        request.parent = parent
        request.writeStream.type = .committed
        let metadata = try metadata(routing: "parent=" + PercentEncoding.encode(parent))
        let stream: Google_Cloud_Bigquery_Storage_V1_WriteStream = try unary(
            BigQueryWriteMethods.createWriteStream, request, metadata: metadata)
        logger.debug("created write stream", metadata: ["bigquery.table": "\(dataset).\(table)", "bigquery.stream": "\(stream.name)"])
        return stream.name
    }

    public func finalizeStream(_ stream: String) throws(WriteStreamError) -> Int64 {
        closeConnection(stream: stream)
        var request = Google_Cloud_Bigquery_Storage_V1_FinalizeWriteStreamRequest()
        request.name = stream
        let metadata = try metadata(routing: "name=" + PercentEncoding.encode(stream))
        let response: Google_Cloud_Bigquery_Storage_V1_FinalizeWriteStreamResponse = try unary(
            BigQueryWriteMethods.finalizeWriteStream, request, metadata: metadata)
        logger.debug("finalized write stream", metadata: ["bigquery.stream": "\(stream)", "bigquery.rows": "\(response.rowCount)"])
        return response.rowCount
    }

    public func closeConnection(stream: String) {
        let connection = state.withLock { $0.connections.removeValue(forKey: stream) }
        connection?.close()
    }

    public func append(stream: String, schema: TableSchema, requests: [AppendRequest]) throws(WriteStreamError) -> [AppendOutcome] {
        guard !requests.isEmpty else { return [] }
        let existing = state.withLock { $0.connections[stream] }
        let encoder: ProtoRowEncoder
        if let existing, existing.schema == schema {
            encoder = existing.encoder
        } else {
            do {
                encoder = try ProtoRowEncoder(schema: schema)
            } catch {
                throw WriteStreamError(kind: .other, message: "cannot derive a writer schema: \(error)")
            }
        }
        let messages = try encode(requests, with: encoder)
        let connection = try connection(for: stream, schema: schema, encoder: encoder, existing: existing)

        let (responses, end) = try connection.exchange(messages, timeout: configuration.appendTimeout)
        var outcomes = zip(requests, responses).map { request, response in outcome(response, request: request) }
        if let end {
            connection.close()
            if end.code == .unauthenticated { accessToken.invalidate() }
            // The call itself ended: a stream that is finalized or gone takes none of the unanswered requests.
            guard end.code == .failedPrecondition || end.code == .notFound else {
                throw StatusClassification.error(end)
            }
            outcomes += Array(repeating: .streamUnusable(message: end.message), count: requests.count - outcomes.count)
        }
        return outcomes
    }

    // MARK: Appending

    /// Every row of every request encoded before anything is sent, so a row that cannot be encoded sends nothing.
    private func encode(
        _ requests: [AppendRequest], with encoder: ProtoRowEncoder
    ) throws(WriteStreamError) -> [Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest] {
        var messages: [Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest] = []
        messages.reserveCapacity(requests.count)
        var rowIndex = 0
        for request in requests {
            var message = Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest()
            message.offset = Google_Protobuf_Int64Value(request.offset)
            var rows: [Data] = []
            rows.reserveCapacity(request.rows.count)
            for (index, row) in request.rows.enumerated() {
                do {
                    if let parsed = request.parsedRows, parsed.indices.contains(index) {
                        rows.append(Data(try encoder.encode(parsed[index])))
                    } else {
                        rows.append(Data(try encoder.encode(row)))
                    }
                } catch {
                    throw WriteStreamError(kind: .invalidRow(index: rowIndex), message: "row \(rowIndex): \(error)")
                }
                rowIndex += 1
            }
            message.protoRows.rows.serializedRows = rows
            messages.append(message)
        }
        return messages
    }

    /// The stream's open connection, or a new one when there is none, it ended, or it was opened with another
    /// schema.
    private func connection(
        for stream: String, schema: TableSchema, encoder: ProtoRowEncoder, existing: AppendConnection?
    ) throws(WriteStreamError) -> AppendConnection {
        if let existing, existing.schema == schema, existing.isUsable { return existing }
        existing?.close()
        let metadata = try metadata(routing: "write_stream=" + PercentEncoding.encode(stream))
        let connection = AppendConnection(stream: stream, schema: schema, encoder: encoder)
        let (replaced, thread) = try startClient { state in
            let old = state.connections[stream]
            state.connections[stream] = connection
            return old
        }
        if let replaced, replaced !== existing { replaced.close() }
        connection.start(client: client, metadata: metadata, on: thread)
        logger.debug("opened an AppendRows connection", metadata: ["bigquery.stream": "\(stream)"])
        return connection
    }

    private func outcome(_ response: Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse, request: AppendRequest) -> AppendOutcome {
        if !response.rowErrors.isEmpty {
            return .rowErrors(
                response.rowErrors.map { error in
                    AppendOutcome.RowFailure(index: Int(error.index), code: GRPCWriteStreamService.name(error.code), message: error.message)
                })
        }
        switch response.response {
        case .appendResult(let result):
            return .appended(offset: result.hasOffset ? result.offset.value : request.offset)
        case .error(let status):
            return StatusClassification.outcome(status)
        case nil:
            return .failed(WriteStreamError(kind: .other, message: "AppendRows answered with neither a result nor an error"))
        }
    }

    private static func name(_ code: Google_Cloud_Bigquery_Storage_V1_RowError.RowErrorCode) -> String {
        switch code {
        case .fieldsError: "FIELDS_ERROR"
        case .unspecified: "ROW_ERROR_CODE_UNSPECIFIED"
        default: "ROW_ERROR_CODE_\(code.rawValue)"
        }
    }

    // MARK: Calls

    private func metadata(routing: String) throws(WriteStreamError) -> Metadata {
        var metadata: Metadata = [:]
        if let token = try accessToken.fetch() {
            metadata.addString("Bearer \(token)", forKey: "authorization")
        }
        metadata.addString(routing, forKey: "x-goog-request-params")
        return metadata
    }

    /// Runs `body` on the state, starting the client's connections and its thread on first use (not in `init`: a
    /// service that is never called starts nothing). Returns the thread its tasks run on.
    private func startClient<T>(_ body: (inout State) -> T) throws(WriteStreamError) -> (T, DedicatedThreadExecutor) {
        let client = self.client
        let result: (T, DedicatedThreadExecutor)? = state.withLock { state in
            guard !state.closed else { return nil }
            let thread: DedicatedThreadExecutor
            if let existing = state.thread {
                thread = existing
            } else {
                thread = DedicatedThreadExecutor(name: "spool-storage-write")
                state.thread = thread
                let stopped = state.stopped
                state.running = Task(executorPreference: thread) {
                    _ = try? await client.runConnections()
                    thread.stop()
                    stopped.signal()
                }
            }
            return (body(&state), thread)
        }
        guard let result else { throw WriteStreamError(kind: .other, message: "the write stream client is closed") }
        return result
    }

    /// A unary call, blocking until its answer or its deadline.
    private func unary<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: MethodDescriptor, _ request: Request, metadata: Metadata
    ) throws(WriteStreamError) -> Response {
        let (_, thread) = try startClient { _ in () }
        var options = CallOptions.defaults
        options.timeout = configuration.callTimeout
        options.waitForReady = false
        options.maxRequestMessageBytes = GRPCWriteStreamService.maximumMessageBytes
        options.maxResponseMessageBytes = GRPCWriteStreamService.maximumMessageBytes
        let client = self.client
        let result = Mutex<Result<Response, any Error>?>(nil)
        let answered = DispatchSemaphore(value: 0)
        let task = Task(executorPreference: thread) {
            let outcome: Result<Response, any Error>
            do {
                outcome = .success(
                    try await client.unary(
                        request: ClientRequest(message: request, metadata: metadata), descriptor: method,
                        serializer: ProtobufSerializer<Request>(), deserializer: ProtobufDeserializer<Response>(),
                        options: options
                    ) { response in try response.message })
            } catch {
                outcome = .failure(error)
            }
            result.withLock { $0 = outcome }
            answered.signal()
        }
        // The call's own deadline ends it first; this bound only guards against a task that never finishes.
        if answered.wait(timeout: .now() + seconds(configuration.callTimeout) + 5) == .timedOut {
            task.cancel()
            throw WriteStreamError(
                kind: .transient, status: "DEADLINE_EXCEEDED", message: "\(method.method) had no answer within \(configuration.callTimeout)")
        }
        switch result.withLock({ $0 }) {
        case .success(let response):
            return response
        case .failure(let error as RPCError):
            if error.code == .unauthenticated { accessToken.invalidate() }
            throw StatusClassification.error(error)
        case .failure(let error):
            throw WriteStreamError(kind: .transient, message: "\(method.method) failed: \(error)")
        case nil:
            throw WriteStreamError(kind: .transient, message: "\(method.method) ended without an answer")
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.timeoutMilliseconds) / 1_000
    }
}
