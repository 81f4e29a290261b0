import BigQueryStorageWrite
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SwiftProtobuf
import Synchronization

/// A `google.cloud.bigquery.storage.v1.BigQueryWrite` server on loopback (plaintext gRPC) with COMMITTED streams
/// kept in memory, for what the emulator cannot do: it answers `row_errors`, finalizes a stream behind the client's
/// back, forgets a stream (NOT_FOUND, as after an expiry), or appends a request and then drops the connection
/// before answering (the answer lost).
///
/// Offsets behave as BigQuery documents them: an offset already written is ALREADY_EXISTS, one beyond the end
/// OUT_OF_RANGE, both in-stream with the connection kept; appending to a finalized stream is FAILED_PRECONDITION
/// in-stream (StorageError STREAM_FINALIZED); a forgotten stream ends the AppendRows call with NOT_FOUND.
public final class BigQueryWriteTestServer: Sendable {
    /// The metadata of one call, as received.
    public struct Call: Sendable {
        public var method: String
        public var authorization: String?
        public var requestParams: String?
    }

    public typealias RowErrorRule = @Sendable (_ rows: [Data]) -> [(index: Int, message: String)]

    struct Stream {
        /// The rows appended, unless the server keeps only their count and size.
        var rows: [Data] = []
        var count = 0
        var bytes = 0
        var finalized = false
    }

    struct State {
        var keepsRows = true
        var streams: [String: Stream] = [:]
        var created = 0
        var calls: [Call] = []
        var writerSchemas: [Google_Protobuf_DescriptorProto] = []
        var connections = 0
        var rowErrors: RowErrorRule?
        var dropAfterNextAppend = false
        var refusedAuthorization: String?
    }

    let state = Mutex(State())
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, Never>
    public let port: Int

    /// `http://127.0.0.1:PORT`, for `GRPCWriteStreamService(endpoint:)`.
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    /// Starts a server on a free loopback port. Without `keepingRows` it keeps only how many rows each stream holds
    /// and their size (`rows(of:)` is empty): a sink for benchmarks whose memory does not grow with the rows.
    public static func start(keepingRows: Bool = true) async throws -> BigQueryWriteTestServer {
        let service = BigQueryWriteTestService()
        let transport = HTTP2ServerTransport.Posix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext)
        let server = GRPCServer(transport: transport, services: [service])
        // Its handlers run on a thread of their own, like the client's tasks: tests that block the shared pool's
        // threads do not delay its answers.
        let thread = DedicatedThreadExecutor(name: "bigquery-write-test-server")
        let serving = Task(executorPreference: thread) {
            _ = try? await server.serve()
            thread.stop()
        }
        guard let port = try await transport.listeningAddress.ipv4?.port else {
            server.beginGracefulShutdown()
            throw RPCError(code: .internalError, message: "the test server has no IPv4 listening address")
        }
        let instance = BigQueryWriteTestServer(server: server, serving: serving, port: port)
        instance.state.withLock { $0.keepsRows = keepingRows }
        service.owner.withLock { $0 = instance }
        return instance
    }

    private init(server: GRPCServer<HTTP2ServerTransport.Posix>, serving: Task<Void, Never>, port: Int) {
        self.server = server
        self.serving = serving
        self.port = port
    }

    /// Stops listening and ends every call.
    public func stop() async {
        server.beginGracefulShutdown()
        serving.cancel()
        await serving.value
    }

    /// From now on, requests for which `rule` names rows are answered with those `row_errors` (FIELDS_ERROR) and
    /// append nothing; nil turns it off.
    public func answerRowErrors(_ rule: RowErrorRule?) {
        state.withLock { $0.rowErrors = rule }
    }

    /// The next AppendRows request is appended, then its call ends with UNAVAILABLE before it is answered.
    public func dropConnectionAfterNextAppend() {
        state.withLock { $0.dropAfterNextAppend = true }
    }

    /// Calls whose `authorization` is exactly this are refused with UNAUTHENTICATED (an expired token).
    public func refuseAuthorization(_ authorization: String?) {
        state.withLock { $0.refusedAuthorization = authorization }
    }

    /// Finalizes the stream as if another client had.
    public func finalize(_ stream: String) {
        state.withLock { $0.streams[stream]?.finalized = true }
    }

    /// Forgets the stream: every later call about it is NOT_FOUND.
    public func forget(_ stream: String) {
        _ = state.withLock { $0.streams.removeValue(forKey: stream) }
    }

    /// The serialized rows appended to the stream, in offset order.
    public func rows(of stream: String) -> [Data] {
        state.withLock { $0.streams[stream]?.rows ?? [] }
    }

    /// The bytes of every row appended so far, across streams: the rows' protobuf encoding as sent.
    public var appendedBytes: Int {
        state.withLock { state in state.streams.values.reduce(0) { $0 + $1.bytes } }
    }

    /// Every call received, in order.
    public var calls: [Call] {
        state.withLock { $0.calls }
    }

    /// The writer schema of each AppendRows connection's first request, in order.
    public var writerSchemas: [Google_Protobuf_DescriptorProto] {
        state.withLock { $0.writerSchemas }
    }

    /// How many AppendRows connections were opened.
    public var connections: Int {
        state.withLock { $0.connections }
    }
}

/// The handlers, registered by method name like the client calls them (no generated service code).
final class BigQueryWriteTestService: RegistrableRPCService {
    let owner = Mutex<BigQueryWriteTestServer?>(nil)

    private static let service = "google.cloud.bigquery.storage.v1.BigQueryWrite"

    private func withState<T>(_ body: (inout BigQueryWriteTestServer.State) throws -> T) rethrows -> T {
        guard let server = owner.withLock({ $0 }) else { preconditionFailure("the test server is not started") }
        return try server.state.withLock { try body(&$0) }
    }

    /// Records the call; throws UNAUTHENTICATED when its authorization is the refused one.
    private func record(_ method: String, _ metadata: Metadata) throws {
        let call = BigQueryWriteTestServer.Call(
            method: method, authorization: metadata[stringValues: "authorization"].first(where: { _ in true }),
            requestParams: metadata[stringValues: "x-goog-request-params"].first(where: { _ in true }))
        let refused = withState { state in
            state.calls.append(call)
            return state.refusedAuthorization != nil && state.refusedAuthorization == call.authorization
        }
        if refused { throw RPCError(code: .unauthenticated, message: "Request had invalid authentication credentials.") }
    }

    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "CreateWriteStream"),
            deserializer: ProtobufDeserializer<Google_Cloud_Bigquery_Storage_V1_CreateWriteStreamRequest>(),
            serializer: ProtobufSerializer<Google_Cloud_Bigquery_Storage_V1_WriteStream>()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            try self.record("CreateWriteStream", single.metadata)
            let name = self.withState { state -> String in
                state.created += 1
                let name = single.message.parent + "/streams/test-\(state.created)"
                state.streams[name] = BigQueryWriteTestServer.Stream()
                return name
            }
            var stream = Google_Cloud_Bigquery_Storage_V1_WriteStream()
            stream.name = name
            stream.type = .committed
            return StreamingServerResponse(single: ServerResponse(message: stream))
        }
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "FinalizeWriteStream"),
            deserializer: ProtobufDeserializer<Google_Cloud_Bigquery_Storage_V1_FinalizeWriteStreamRequest>(),
            serializer: ProtobufSerializer<Google_Cloud_Bigquery_Storage_V1_FinalizeWriteStreamResponse>()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            try self.record("FinalizeWriteStream", single.metadata)
            let count = self.withState { state -> Int? in
                guard state.streams[single.message.name] != nil else { return nil }
                state.streams[single.message.name]!.finalized = true
                return state.streams[single.message.name]!.count
            }
            guard let count else {
                return StreamingServerResponse(error: RPCError(code: .notFound, message: "Requested entity was not found."))
            }
            var response = Google_Cloud_Bigquery_Storage_V1_FinalizeWriteStreamResponse()
            response.rowCount = Int64(count)
            return StreamingServerResponse(single: ServerResponse(message: response))
        }
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: Self.service, method: "AppendRows"),
            deserializer: ProtobufDeserializer<Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest>(),
            serializer: ProtobufSerializer<Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse>()
        ) { request, _ in
            try self.record("AppendRows", request.metadata)
            self.withState { $0.connections += 1 }
            return StreamingServerResponse { writer in
                var stream: String?
                for try await message in request.messages {
                    if stream == nil {
                        stream = message.writeStream
                        let schema = message.protoRows.writerSchema.protoDescriptor
                        self.withState { $0.writerSchemas.append(schema) }
                    }
                    let (response, drop) = try self.append(message, to: stream ?? "")
                    if drop { throw RPCError(code: .unavailable, message: "the connection dropped (test server)") }
                    try await writer.write(response)
                }
                return [:]
            }
        }
    }

    /// One AppendRows request against the stream's state: the response, and whether to drop the connection
    /// instead of answering. Throws NOT_FOUND (ending the call) for a stream it does not know.
    private func append(
        _ request: Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest, to name: String
    ) throws -> (Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse, Bool) {
        try withState { state in
            guard var stream = state.streams[name] else {
                throw RPCError(code: .notFound, message: "Requested entity was not found. Entity: \(name)")
            }
            var response = Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse()
            let rows = request.protoRows.rows.serializedRows
            let offset = request.hasOffset ? Int(request.offset.value) : stream.count
            if stream.finalized {
                response.error = Self.status(9, "Stream is finalized", storage: .streamFinalized, entity: name)
            } else if offset < stream.count {
                response.error = Self.status(6, "Offset \(offset) already exists", storage: .offsetAlreadyExists, entity: name)
            } else if offset > stream.count {
                response.error = Self.status(
                    11, "Offset \(offset) is beyond the end of the stream (\(stream.count))", storage: .offsetOutOfRange, entity: name)
            } else if let errors = state.rowErrors?(rows), !errors.isEmpty {
                response.rowErrors = errors.map { error in
                    var rowError = Google_Cloud_Bigquery_Storage_V1_RowError()
                    rowError.index = Int64(error.index)
                    rowError.code = .fieldsError
                    rowError.message = error.message
                    return rowError
                }
            } else {
                if state.keepsRows { stream.rows += rows }
                stream.count += rows.count
                stream.bytes += rows.reduce(0) { $0 + $1.count }
                state.streams[name] = stream
                var result = Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse.AppendResult()
                result.offset = Google_Protobuf_Int64Value(Int64(offset))
                response.appendResult = result
                if state.dropAfterNextAppend {
                    state.dropAfterNextAppend = false
                    return (response, true)
                }
            }
            response.writeStream = name
            return (response, false)
        }
    }

    private static func status(
        _ code: Int32, _ message: String, storage: Google_Cloud_Bigquery_Storage_V1_StorageError.StorageErrorCode, entity: String
    ) -> Google_Rpc_Status {
        var status = Google_Rpc_Status()
        status.code = code
        status.message = message
        var detail = Google_Cloud_Bigquery_Storage_V1_StorageError()
        detail.code = storage
        detail.entity = entity
        detail.errorMessage = message
        if let any = try? Google_Protobuf_Any(message: detail) {
            status.details = [any]
        }
        return status
    }
}
