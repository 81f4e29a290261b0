import BigQueryREST
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import SpoolSchema

/// One AppendRows call (a long-lived bidirectional stream) for one write stream. Requests are written as they
/// come; BigQuery answers each in request order, so the n-th response belongs to the n-th request.
///
/// A connection that ended, timed out or was closed is never used again: its pipeline's order is unknown, so the
/// service opens a new one (and sends the writer schema again).
final class AppendConnection: @unchecked Sendable {
    let stream: String
    let schema: TableSchema
    let encoder: ProtoRowEncoder

    private enum End {
        /// The server ended the call with this status (an error), or the transport failed.
        case failed(RPCError)
        /// The call ended with OK, or the client closed it.
        case finished
    }

    /// One exchange at a time: the waits below release `condition`, and a second exchange interleaved there would
    /// take the first one's answers.
    private let exchangeLock = NSLock()
    // Everything below is guarded by `condition`.
    private let condition = NSCondition()
    private var responses: [Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse] = []
    private var end: End?
    private var sentFirstRequest = false
    private var task: Task<Void, Never>?

    private let requests: AsyncStream<Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest>
    private let requestSink: AsyncStream<Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest>.Continuation

    init(stream: String, schema: TableSchema, encoder: ProtoRowEncoder) {
        self.stream = stream
        self.schema = schema
        self.encoder = encoder
        (requests, requestSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
    }

    /// Starts the call on `client`; requests given to `exchange` before the call is up wait in the stream's buffer.
    func start(client: GRPCClient<HTTP2ClientTransport.Posix>, metadata: Metadata, on thread: DedicatedThreadExecutor) {
        let requests = self.requests
        var options = CallOptions.defaults
        options.waitForReady = false
        options.maxRequestMessageBytes = GRPCWriteStreamService.maximumMessageBytes
        options.maxResponseMessageBytes = GRPCWriteStreamService.maximumMessageBytes
        // The task holds the connection until the call ends; every connection is closed (by the service, which
        // closes all of its own when it closes or goes away), which ends the call.
        let task = Task(executorPreference: thread) {
            do {
                try await client.bidirectionalStreaming(
                    request: StreamingClientRequest(metadata: metadata) { writer in
                        for await request in requests {
                            try await writer.write(request)
                        }
                    },
                    descriptor: BigQueryWriteMethods.appendRows,
                    serializer: ProtobufSerializer<Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest>(),
                    deserializer: ProtobufDeserializer<Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse>(),
                    options: options
                ) { response in
                    for try await message in response.messages {
                        self.received(message)
                    }
                }
                self.ended(.finished)
            } catch let error as RPCError {
                self.ended(.failed(error))
            } catch {
                self.ended(.failed(RPCError(code: .unavailable, message: "the AppendRows call failed: \(error)")))
            }
        }
        condition.withLock { self.task = task }
    }

    /// Whether the call can take requests: it has not ended, was not closed, and owes no stray answers.
    var isUsable: Bool {
        condition.withLock { end == nil && responses.isEmpty }
    }

    /// Sends `requests` in order (the first request of the connection carries the writer schema) and waits until each has its response, the call ends, or `timeout` passes.
    ///
    /// Returns the responses received, in order, and why the call ended when fewer arrived than were sent. A
    /// timeout closes the connection and throws (transient): whatever is answered later is lost with it.
    func exchange(
        _ requests: [Google_Cloud_Bigquery_Storage_V1_AppendRowsRequest], timeout: Duration
    ) throws(WriteStreamError) -> (responses: [Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse], end: RPCError?) {
        let deadline = Date(timeIntervalSinceNow: Double(timeout.timeoutMilliseconds) / 1_000)
        exchangeLock.lock()
        defer { exchangeLock.unlock() }
        condition.lock()
        defer { condition.unlock() }
        // Answers left over from an earlier exchange would shift every match: such a connection is not used.
        if end == nil && !responses.isEmpty {
            closeLocked()
        }
        if let end { return ([], AppendConnection.error(end)) }
        for var request in requests {
            // BigQuery needs the stream's name on the first request only, the emulator on every one: ~80 bytes a
            // request, not a row.
            request.writeStream = stream
            if !sentFirstRequest {
                request.protoRows.writerSchema.protoDescriptor = encoder.descriptor
                sentFirstRequest = true
            }
            requestSink.yield(request)
        }
        while responses.count < requests.count && end == nil {
            if !condition.wait(until: deadline) {
                closeLocked()
                throw WriteStreamError(
                    kind: .transient, message: "no answer to AppendRows within \(timeout) (\(responses.count) of \(requests.count) answered)")
            }
        }
        let answered = Array(responses.prefix(requests.count))
        responses.removeFirst(answered.count)
        if answered.count == requests.count { return (answered, nil) }
        return (answered, end.map(AppendConnection.error) ?? nil)
    }

    /// Ends the call: no more requests; answers still on their way are dropped.
    func close() {
        condition.withLock { closeLocked() }
    }

    private func closeLocked() {
        if end == nil { end = .finished }
        requestSink.finish()
        task?.cancel()
        condition.broadcast()
    }

    private func received(_ response: Google_Cloud_Bigquery_Storage_V1_AppendRowsResponse) {
        condition.withLock {
            guard end == nil else { return }
            responses.append(response)
            condition.broadcast()
        }
    }

    private func ended(_ reason: End) {
        condition.withLock {
            if end == nil { end = reason }
            requestSink.finish()
            condition.broadcast()
        }
    }

    private static func error(_ end: End) -> RPCError? {
        switch end {
        case .failed(let error): error
        case .finished: RPCError(code: .unavailable, message: "the AppendRows connection was closed")
        }
    }
}
