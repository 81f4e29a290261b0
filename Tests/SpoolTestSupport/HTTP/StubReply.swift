/// An HTTP answer for the stub to send.
public struct StubResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer.
    public static func json(
        _ status: Int, _ text: String, headers: [(name: String, value: String)] = []
    ) -> StubResponse {
        StubResponse(
            status: status, headers: [(name: "Content-Type", value: "application/json; charset=UTF-8")] + headers,
            body: Array(text.utf8)
        )
    }

    /// A plain-text answer.
    public static func text(_ status: Int, _ text: String, contentType: String = "text/plain") -> StubResponse {
        StubResponse(status: status, headers: [(name: "Content-Type", value: contentType)], body: Array(text.utf8))
    }
}

/// What the loopback server does with one request.
public indirect enum StubReply: Sendable {
    /// Answers normally and keeps the connection open.
    case response(StubResponse)
    /// Closes the connection with a TCP reset (SO_LINGER 0) without answering.
    case resetConnection
    /// Waits, then does the other reply.
    case delay(Duration, then: StubReply)
    /// Sends the status line, headers (with the full Content-Length) and only `bytes` of the body, then closes.
    case truncated(StubResponse, bytes: Int)
    /// Writes these bytes as they are, then closes the connection.
    case raw([UInt8])

    /// A JSON answer.
    public static func json(_ status: Int, _ text: String, headers: [(name: String, value: String)] = []) -> StubReply {
        .response(.json(status, text, headers: headers))
    }
}
