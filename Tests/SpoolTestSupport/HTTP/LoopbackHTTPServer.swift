#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// An HTTP/1.1 server on 127.0.0.1 and an ephemeral port, for tests: one thread per connection, keep-alive,
/// `Content-Length` and chunked request bodies, `Expect: 100-continue`, gzip request bodies. Every request is
/// recorded before the handler decides the reply. Call `stop()` when done: it closes every socket and joins
/// every thread.
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (ReceivedRequest) -> StubReply

    public let port: Int
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    private struct State {
        var stopped = false
        var acceptThread: JoinableThread?
        var connectionThreads: [JoinableThread] = []
        var openConnections: Set<Int32> = []
        var connectionCount = 0
        var requests: [ReceivedRequest] = []
    }

    private let listener: Int32
    private let handler: Handler
    private let state = Mutex(State())
    private let recordsRequests: Bool

    /// - Parameter recordRequests: keep every request for `requests`; off for long-running sinks (benchmarks).
    public init(recordRequests: Bool = true, handler: @escaping Handler) throws {
        self.recordsRequests = recordRequests
        let (descriptor, port) = try listenOnLoopback()
        self.listener = descriptor
        self.port = port
        self.handler = handler
        let thread = JoinableThread { [self] in acceptLoop() }
        state.withLock { $0.acceptThread = thread }
    }

    /// Every request received so far, in arrival order.
    public var requests: [ReceivedRequest] {
        state.withLock { $0.requests }
    }

    /// How many TCP connections were accepted so far.
    public var connectionCount: Int {
        state.withLock { $0.connectionCount }
    }

    /// Closes the listener and every connection, and waits for all threads. Safe to call twice.
    public func stop() {
        let acceptThread: JoinableThread? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            for descriptor in state.openConnections {
                shutdown(descriptor, Int32(SHUT_RDWR))
            }
            return state.acceptThread
        }
        guard let acceptThread else { return }
        acceptThread.join()
        close(listener)
        // The accept loop has ended, so no connection thread is added any more.
        for thread in state.withLock({ $0.connectionThreads }) {
            thread.join()
        }
    }

    private var isStopped: Bool {
        state.withLock { $0.stopped }
    }

    private func acceptLoop() {
        while !isStopped {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let descriptor = accept(listener, nil, nil)
            guard descriptor >= 0 else { continue }
            setNoDelay(descriptor)
            let accepted: Int? = state.withLock { state in
                guard !state.stopped else { return nil }
                state.connectionCount += 1
                state.openConnections.insert(descriptor)
                return state.connectionCount
            }
            guard let number = accepted else {
                close(descriptor)
                return
            }
            let thread = JoinableThread { [self] in serve(descriptor: descriptor, number: number) }
            state.withLock { $0.connectionThreads.append(thread) }
        }
    }

    private func serve(descriptor: Int32, number: Int) {
        var connection = SocketConnection(descriptor: descriptor)
        var resetOnClose = false
        defer { closeConnection(descriptor, reset: resetOnClose) }
        while !isStopped {
            guard let request = readRequest(&connection, number: number) else { return }
            if recordsRequests {
                state.withLock { $0.requests.append(request) }
            }
            switch perform(handler(request), on: connection) {
            case .keepOpen:
                if request.header("Connection")?.lowercased() == "close" { return }
            case .close:
                return
            case .reset:
                resetOnClose = true
                return
            }
        }
    }

    private enum Outcome { case keepOpen, close, reset }

    private func perform(_ reply: StubReply, on connection: SocketConnection) -> Outcome {
        switch reply {
        case .response(let response):
            return connection.write(Self.serialize(response, bodyPrefix: nil)) ? .keepOpen : .close
        case .resetConnection:
            return .reset
        case .delay(let duration, let next):
            let clock = ContinuousClock()
            let deadline = clock.now + duration
            while clock.now < deadline {
                if isStopped { return .close }
                usleep(5_000)
            }
            return perform(next, on: connection)
        case .truncated(let response, let bytes):
            _ = connection.write(Self.serialize(response, bodyPrefix: min(bytes, response.body.count)))
            return .close
        case .raw(let bytes):
            _ = connection.write(bytes)
            return .close
        }
    }

    private func closeConnection(_ descriptor: Int32, reset: Bool) {
        state.withLock { state in
            // Closed under the lock so that stop() never shuts down a descriptor number already reused.
            state.openConnections.remove(descriptor)
            if reset { closeWithReset(descriptor) } else { close(descriptor) }
        }
    }

    private func readRequest(_ connection: inout SocketConnection, number: Int) -> ReceivedRequest? {
        guard let head = connection.readHead() else { return nil }
        let lines = String(decoding: head, as: UTF8.self).split(separator: "\r\n", omittingEmptySubsequences: true)
        guard let requestLine = lines.first else { return nil }
        let parts = requestLine.split(separator: " ")
        guard parts.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: " \t")
            let value = line[line.index(after: colon)...].trimmingCharacters(in: " \t")
            headers.append((name: String(name), value: String(value)))
        }
        func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name }?.value
        }
        var sentContinue = false
        if header("expect")?.lowercased() == "100-continue" {
            guard connection.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return nil }
            sentContinue = true
        }
        var body: [UInt8] = []
        if header("transfer-encoding")?.lowercased().contains("chunked") == true {
            while true {
                guard let sizeLine = connection.readLine(),
                    let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16)
                else { return nil }
                if size == 0 {
                    // Trailer fields, then the blank line.
                    while let trailer = connection.readLine(), !trailer.isEmpty {}
                    break
                }
                guard let chunk = connection.read(count: size), connection.readLine() != nil else { return nil }
                body.append(contentsOf: chunk)
            }
        } else if let length = header("content-length").flatMap({ Int($0) }), length > 0 {
            guard let bytes = connection.read(count: length) else { return nil }
            body = bytes
        }
        let wireSize = body.count
        var gzipped = false
        if header("content-encoding")?.lowercased() == "gzip" {
            // A body that does not decode is kept as it came, so a test can see what was sent.
            if let decoded = gunzipBody(body) {
                body = decoded
                gzipped = true
            }
        }
        return ReceivedRequest(
            method: String(parts[0]), target: String(parts[1]), headers: headers, body: body,
            wireBodySize: wireSize, wasGzipped: gzipped, connectionNumber: number, sentContinue: sentContinue
        )
    }

    private static func serialize(_ response: StubResponse, bodyPrefix: Int?) -> [UInt8] {
        var head = "HTTP/1.1 \(response.status) \(reasonPhrase(response.status))\r\n"
        var hasLength = false
        for field in response.headers {
            if field.name.lowercased() == "content-length" { hasLength = true }
            head += "\(field.name): \(field.value)\r\n"
        }
        if !hasLength {
            head += "Content-Length: \(response.body.count)\r\n"
        }
        head += "\r\n"
        return Array(head.utf8) + response.body.prefix(bodyPrefix ?? response.body.count)
    }

    private static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 201: "Created"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 408: "Request Timeout"
        case 409: "Conflict"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

/// A socket call failed while starting the server.
public struct SocketError: Error, CustomStringConvertible {
    public let operation: String
    public let code: Int32

    public var description: String {
        "\(operation) failed: \(String(cString: strerror(code)))"
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> Substring {
        var result = self
        while let first = result.first, set.contains(first) { result.removeFirst() }
        while let last = result.last, set.contains(last) { result.removeLast() }
        return result
    }
}
