import BigQueryREST
import Foundation
import Synchronization

/// An HTTP proxy for tests that sits between an uploader and a BigQuery peer (the emulator) and injects faults:
/// error statuses, connection resets before or after the peer got the request, answers held past the client's
/// timeout, truncated and non-JSON bodies. Which request gets which fault comes from a seeded generator, so a run is
/// reproducible; every fault is counted, and each relayed request's time span is recorded.
///
/// Built on `LoopbackHTTPServer`: each connection has a thread of its own, and relaying is a blocking `HTTPClient`
/// request made on that thread. Call `stop()` when done.
public final class FaultProxy: Sendable {
    /// One request as the proxy handled it.
    public struct Exchange: Sendable {
        public var path: String
        /// The fault injected, nil when relayed untouched.
        public var fault: Fault?
        /// Whether the upstream got the request.
        public var relayed: Bool
        /// The upstream's status, when it answered.
        public var upstreamStatus: Int?
        /// Rows in the request body (insertAll), 0 otherwise.
        public var rows: Int
        public var startedAt: ContinuousClock.Instant
        public var endedAt: ContinuousClock.Instant
    }

    fileprivate struct State {
        var plan: FaultPlan
        var random: SeededRandom
        var exchanges: [Exchange] = []
        var inFlight = 0
    }

    /// The state shared with the server's connection threads (a Mutex cannot be captured by itself).
    fileprivate final class Shared: Sendable {
        let mutex: Mutex<State>
        init(_ state: State) { mutex = Mutex(state) }
        func withLock<Result>(_ body: (inout State) -> Result) -> Result { mutex.withLock { body(&$0) } }
    }

    public let upstream: String
    private let state: Shared
    private let server: LoopbackHTTPServer

    /// `http://127.0.0.1:PORT` of the proxy: the endpoint to give the uploader.
    public var baseURL: String { server.baseURL }

    public init(upstream: String, plan: FaultPlan = .none, seed: UInt64 = 1) throws {
        self.upstream = upstream
        let state = Shared(State(plan: plan, random: SeededRandom(seed: seed)))
        self.state = state
        server = try LoopbackHTTPServer { request in
            Self.handle(request, upstream: upstream, state: state)
        }
    }

    /// Replaces the plan for the requests to come.
    public func setPlan(_ plan: FaultPlan) {
        state.withLock { $0.plan = plan }
    }

    /// Every request handled so far, in the order they ended.
    public var exchanges: [Exchange] {
        state.withLock { $0.exchanges }
    }

    /// Requests received whose handling has not ended yet.
    public var inFlight: Int {
        state.withLock { $0.inFlight }
    }

    /// How many requests got each fault.
    public var faultCounts: [Fault: Int] {
        var counts: [Fault: Int] = [:]
        for exchange in exchanges {
            if let fault = exchange.fault { counts[fault, default: 0] += 1 }
        }
        return counts
    }

    /// Rows the upstream received in requests whose answer the client never got: each may be stored twice.
    public var rowsRelayedUnanswered: Int {
        exchanges.filter { $0.fault?.relaysUnanswered == true && $0.relayed }.reduce(0) { $0 + $1.rows }
    }

    /// A one-line summary of the fault counts, for test output.
    public var summary: String {
        let counts = faultCounts
        let parts = Fault.allCases.compactMap { fault in counts[fault].map { "\(fault.rawValue)=\($0)" } }
        return "requests=\(exchanges.count) " + parts.joined(separator: " ")
    }

    public func stop() {
        server.stop()
    }

    deinit {
        server.stop()
    }

    // MARK: Handling one request

    private static func handle(_ request: ReceivedRequest, upstream: String, state: Shared) -> StubReply {
        let started = ContinuousClock.now
        let fault: Fault? = state.withLock { state in
            state.inFlight += 1
            guard request.target.contains(state.plan.pathFilter) else { return nil }
            let draw = Double.random(in: 0..<1, using: &state.random)
            var threshold = 0.0
            for fault in Fault.allCases {
                threshold += state.plan.fraction(of: fault)
                if draw < threshold { return fault }
            }
            return nil
        }
        let plan = state.withLock { $0.plan }
        let rows = Self.rowCount(request)
        func record(relayed: Bool, status: Int?) {
            let exchange = Exchange(
                path: request.path, fault: fault, relayed: relayed, upstreamStatus: status, rows: rows,
                startedAt: started, endedAt: ContinuousClock.now
            )
            state.withLock {
                $0.exchanges.append(exchange)
                $0.inFlight -= 1
            }
        }

        switch fault {
        case .serviceUnavailable:
            record(relayed: false, status: nil)
            return GoogleErrorReply.backendError(status: 503)
        case .internalError:
            record(relayed: false, status: nil)
            return GoogleErrorReply.backendError(status: 500)
        case .tooManyRequests:
            record(relayed: false, status: nil)
            return GoogleErrorReply.tooManyRequests(retryAfter: "\(plan.retryAfterSeconds)")
        case .resetBeforeRelaying:
            record(relayed: false, status: nil)
            return .resetConnection
        case .nonJSONBody:
            record(relayed: false, status: nil)
            return .response(.text(200, "<html><body>Please sign in to the network</body></html>", contentType: "text/html"))
        case nil, .resetAfterRelaying, .delayPastTimeout, .truncatedBody:
            guard let response = relay(request, upstream: upstream) else {
                // The upstream is down: the client sees the connection drop, as it would without the proxy.
                record(relayed: false, status: nil)
                return .resetConnection
            }
            record(relayed: true, status: response.status)
            let answer = StubResponse(
                status: response.status,
                headers: response.headers.fields.filter { ["content-type", "retry-after"].contains($0.name.lowercased()) },
                body: response.body
            )
            switch fault {
            case .resetAfterRelaying: return .resetConnection
            case .delayPastTimeout: return .delay(plan.delay, then: .response(answer))
            case .truncatedBody: return .truncated(answer, bytes: answer.body.count / 2)
            default: return .response(answer)
            }
        }
    }

    private static func relay(_ request: ReceivedRequest, upstream: String) -> HTTPResponse? {
        var headers = HTTPHeaders()
        for name in ["Content-Type", "Authorization", "Accept"] {
            if let value = request.header(name) { headers.add(name: name, value: value) }
        }
        let method = HTTPMethod(rawValue: request.method)
        // One client per request: the proxy's connection threads never share a libcurl handle.
        let client = HTTPClient(configuration: .init(connectTimeout: .seconds(2), totalTimeout: .seconds(30)))
        return try? client.send(HTTPRequest(method: method, url: upstream + request.target, headers: headers, body: request.body))
    }

    private static func rowCount(_ request: ReceivedRequest) -> Int {
        guard request.path.hasSuffix("/insertAll") else { return 0 }
        return ((request.jsonBody() as? [String: Any])?["rows"] as? [Any])?.count ?? 0
    }
}
