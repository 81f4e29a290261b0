/// One HTTP request for `HTTPClient.send(_:)`.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// An absolute `http` or `https` URL.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Send the body gzip-compressed with `Content-Encoding: gzip`.
    public var compressBody: Bool

    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8] = [],
        compressBody: Bool = false
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.compressBody = compressBody
    }
}

/// The answer to an `HTTPRequest`: the body is already decoded when the server sent it gzip-compressed.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}
