#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// A byte-level TCP relay on loopback for gRPC tests (HTTP/2, which `FaultProxy` does not speak): it relays both ways
/// untouched, counts the gRPC messages each way (`GRPCMessageCounter`), and on command
///
/// - cuts a connection after a request was applied and before its answer arrives: once the next request with rows
///   (a client message that holds `rowMarker`, e.g. the common prefix of the rows' event ids: protobuf keeps strings
///   as they are) has been relayed, it relays nothing more to the client, waits for the server's answer to that
///   request (so the server has applied it), drops the answer and resets both sides; or
/// - refuses every connection (an outage): open connections are closed, new ones reset as soon as they are accepted.
///
/// Each connection has a thread of its own; call `stop()` when done.
public final class TCPFaultProxy: Sendable {
    /// One connection cut after a request.
    public struct Cut: Sendable {
        /// The size of the request message the cut followed (protobuf bytes).
        public var requestBytes: Int
        /// Whether the server's answer to it reached the proxy (and was dropped): the server had applied the request.
        public var answerDropped: Bool
    }

    /// What the proxy did so far.
    public struct Statistics: Sendable {
        public var connections = 0
        /// Connections reset on arrival while refusing.
        public var refusedConnections = 0
        /// gRPC messages relayed from clients to the server.
        public var requests = 0
        /// gRPC messages relayed from the server to clients (dropped answers not counted).
        public var answers = 0
        /// Answers that came after their client had gone away (killed while its requests were in flight).
        public var answersAfterClientLeft = 0
        public var cuts: [Cut] = []
    }

    private struct ArmedCut {
        /// Requests with rows to relay untouched before the one that is cut.
        var skipping: Int
        var thenRefuse: Bool
        var answerWait: Duration
    }

    private struct Connection {
        var client: Int32
        var upstream: Int32?
        /// Requests with rows relayed on this connection whose answers were not relayed yet.
        var unanswered = 0
    }

    private struct State {
        var stopped = false
        var refusing = false
        var armed: ArmedCut?
        var statistics = Statistics()
        var connections: [Int: Connection] = [:]
        var threads: [JoinableThread] = []
        var acceptThread: JoinableThread?
    }

    private let listener: Int32
    private let upstreamPort: Int
    private let rowMarker: [UInt8]
    private let state = Mutex(State())
    public let port: Int
    /// `http://127.0.0.1:PORT` of the proxy: the write endpoint to give the uploader.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// - Parameters:
    ///   - upstream: the server's `http://127.0.0.1:PORT` (plaintext gRPC on loopback).
    ///   - rowMarker: bytes every request with rows holds and no other message does (the rows' event id prefix).
    public init(upstream: String, rowMarker: String) throws {
        guard let port = upstream.split(separator: ":").last.flatMap({ Int($0) }) else {
            throw SocketError(operation: "parse upstream \(upstream)", code: EINVAL)
        }
        upstreamPort = port
        self.rowMarker = Array(rowMarker.utf8)
        (listener, self.port) = try listenOnLoopback()
        let thread = JoinableThread { [self] in acceptLoop() }
        state.withLock { $0.acceptThread = thread }
    }

    public var statistics: Statistics {
        state.withLock { $0.statistics }
    }

    /// Requests relayed on streams that carried rows (AppendRows), on open connections, whose answers have not come
    /// back yet. When a client goes away (killed) with such requests, the proxy keeps the server's side open until
    /// they are answered (at most 10 s): so 0 also says the server has finished with a killed client's requests.
    public var inFlight: Int {
        state.withLock { $0.connections.values.reduce(0) { $0 + $1.unanswered } }
    }

    /// Cuts the connection that carries the next request with rows but `skipping`, once the server has answered it (or
    /// `answerWait` has passed); with `thenRefuse`, the proxy refuses every connection from then on (inspect, then
    /// `setRefusing(false)`). One cut per call.
    public func cutAfterNextRequest(skipping: Int = 0, thenRefuse: Bool = false, answerWait: Duration = .seconds(5)) {
        state.withLock { $0.armed = ArmedCut(skipping: skipping, thenRefuse: thenRefuse, answerWait: answerWait) }
    }

    /// An outage: while refusing, open connections are closed and new ones reset on arrival.
    public func setRefusing(_ refusing: Bool) {
        state.withLock { state in
            state.refusing = refusing
            if refusing { Self.shutDownAll(&state) }
        }
    }

    /// Closes the listener and every connection, and waits for all threads. Safe to call twice.
    public func stop() {
        let acceptThread: JoinableThread? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.stopped = true
            shutdown(listener, Int32(SHUT_RDWR))
            Self.shutDownAll(&state)
            return state.acceptThread
        }
        guard let acceptThread else { return }
        acceptThread.join()
        close(listener)
        for thread in state.withLock({ $0.threads }) {
            thread.join()
        }
    }

    deinit {
        stop()
    }

    private static func shutDownAll(_ state: inout State) {
        for connection in state.connections.values {
            shutdown(connection.client, Int32(SHUT_RDWR))
            if let upstream = connection.upstream { shutdown(upstream, Int32(SHUT_RDWR)) }
        }
    }

    // MARK: Connections

    private func acceptLoop() {
        var number = 0
        while !state.withLock({ $0.stopped }) {
            var poller = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            setNoDelay(client)
            number += 1
            let connection = number
            // Registered under the lock, so that stop() and setRefusing(true) reach it.
            let accepted = state.withLock { state -> Bool in
                guard !state.stopped, !state.refusing else {
                    state.statistics.refusedConnections += state.refusing ? 1 : 0
                    return false
                }
                state.statistics.connections += 1
                state.connections[connection] = Connection(client: client)
                let thread = JoinableThread { [self] in relay(connection) }
                state.threads.append(thread)
                return true
            }
            if !accepted { closeWithReset(client) }
        }
    }

    /// The connection's cut in progress: nothing goes to the client any more.
    private struct Cutting {
        var stream: UInt32
        /// The server's answers on `stream` that must have come for the cut request's to be among them.
        var answersDue: Int
        var requestBytes: Int
        var thenRefuse: Bool
        var deadline: ContinuousClock.Instant
    }

    private func relay(_ number: Int) {
        guard let client = state.withLock({ $0.connections[number]?.client }) else { return }
        let upstream = connectUpstream()
        let registered = state.withLock { state -> Bool in
            guard let upstream, !state.stopped, !state.refusing else { return false }
            state.connections[number]?.upstream = upstream
            return true
        }
        var reset = true
        defer {
            state.withLock { state in
                state.connections[number] = nil
                if reset { closeWithReset(client) } else { close(client) }
                if let upstream { if reset { closeWithReset(upstream) } else { close(upstream) } }
            }
        }
        guard registered, let upstream else { return }

        var fromClient = GRPCMessageCounter(clientSide: true)
        var fromServer = GRPCMessageCounter(clientSide: false)
        var sent: [UInt32: Int] = [:]
        var answered: [UInt32: Int] = [:]
        // Streams that carried rows and are still open: a stream the server ended (an error) or the client reset awaits
        // no answer.
        var rowStreams: Set<UInt32> = []
        func unanswered() -> Int {
            rowStreams.reduce(0) { $0 + max(0, sent[$1, default: 0] - answered[$1, default: 0]) }
        }
        var cutting: Cutting?
        // When the client went away (killed) with requests unanswered: the server's side stays open until it has
        // answered them, so that `inFlight` falls to 0 only once the server is done with them.
        var clientGoneAt: ContinuousClock.Instant?
        var buffer = [UInt8](repeating: 0, count: 65536)
        func receive(_ descriptor: Int32) -> ArraySlice<UInt8>? {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            return count > 0 ? buffer[0..<count] : nil
        }

        while true {
            // A negative descriptor is ignored by poll: the client's, once it is gone.
            var pollers = [
                pollfd(fd: clientGoneAt == nil ? client : -1, events: Int16(POLLIN), revents: 0),
                pollfd(fd: upstream, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&pollers, 2, 50)
            if ready < 0, errno == EINTR { continue }
            if let cut = cutting, ContinuousClock.now >= cut.deadline {
                finish(cut, answerDropped: false)
                return
            }
            if let clientGoneAt, unanswered() == 0 || ContinuousClock.now - clientGoneAt >= .seconds(10) {
                reset = false
                return
            }
            if pollers[0].revents != 0 {
                guard let bytes = receive(client) else {
                    reset = cutting != nil
                    guard cutting == nil, unanswered() > 0 else { return }
                    clientGoneAt = .now
                    continue
                }
                guard SocketConnection(descriptor: upstream).write(Array(bytes)) else {
                    reset = cutting != nil
                    return
                }
                let fed = fromClient.feed(bytes)
                let messages = fed.messages
                // A call the client abandoned (timed out) is not answered any more.
                rowStreams.subtract(fed.resetStreams)
                for message in messages {
                    sent[message.stream, default: 0] += 1
                    guard Self.contains(message.body, rowMarker) else { continue }
                    rowStreams.insert(message.stream)
                    guard cutting == nil, let armed = claimArmedCut() else { continue }
                    cutting = Cutting(
                        stream: message.stream, answersDue: sent[message.stream, default: 0], requestBytes: message.body.count,
                        thenRefuse: armed.thenRefuse, deadline: .now + armed.answerWait
                    )
                }
                let waiting = unanswered()
                state.withLock { state in
                    state.statistics.requests += messages.count
                    state.connections[number]?.unanswered = waiting
                }
            }
            if pollers[1].revents != 0 {
                guard let bytes = receive(upstream) else {
                    reset = cutting != nil
                    return
                }
                let fed = fromServer.feed(bytes)
                let messages = fed.messages
                for message in messages { answered[message.stream, default: 0] += 1 }
                rowStreams.subtract(fed.endedStreams)
                if let cut = cutting {
                    // Nothing more reaches the client; the cut request's answer ends the connection.
                    if answered[cut.stream, default: 0] >= cut.answersDue {
                        finish(cut, answerDropped: true)
                        return
                    }
                    continue
                }
                if clientGoneAt == nil {
                    guard SocketConnection(descriptor: client).write(Array(bytes)) else { return }
                }
                let waiting = unanswered()
                let gone = clientGoneAt != nil
                state.withLock { state in
                    state.statistics.answers += gone ? 0 : messages.count
                    state.statistics.answersAfterClientLeft += gone ? messages.count : 0
                    state.connections[number]?.unanswered = waiting
                }
            }
            if state.withLock({ $0.stopped }) { return }
        }
    }

    /// The armed cut, when this request with rows is the one to cut.
    private func claimArmedCut() -> ArmedCut? {
        state.withLock { state in
            guard let armed = state.armed else { return nil }
            guard armed.skipping == 0 else {
                state.armed?.skipping -= 1
                return nil
            }
            state.armed = nil
            return armed
        }
    }

    private static func contains(_ bytes: [UInt8], _ marker: [UInt8]) -> Bool {
        guard !marker.isEmpty, bytes.count >= marker.count else { return false }
        return (0...(bytes.count - marker.count)).contains { start in
            bytes[start] == marker[0] && bytes[start..<(start + marker.count)].elementsEqual(marker)
        }
    }

    /// Records the cut; with `thenRefuse`, refuses before the connection closes, so the client's reconnection is refused.
    private func finish(_ cut: Cutting, answerDropped: Bool) {
        state.withLock { state in
            state.statistics.cuts.append(Cut(requestBytes: cut.requestBytes, answerDropped: answerDropped))
            if cut.thenRefuse {
                state.refusing = true
                Self.shutDownAll(&state)
            }
        }
    }

    private func connectUpstream() -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(upstreamPort).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        setNoDelay(descriptor)
        return descriptor
    }
}
