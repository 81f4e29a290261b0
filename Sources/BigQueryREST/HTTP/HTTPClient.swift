import CCurl

/// A blocking HTTP/1.1 client over one libcurl easy handle, reused across requests so that connections stay
/// open between them (keep-alive).
///
/// Not thread-safe by design: one client belongs to one thread (the uploader's, or a command's). Create one
/// client per thread instead of sharing.
///
/// TLS peer and host verification are always on; there is no way to turn them off. Proxies follow libcurl's
/// defaults: the `http_proxy`, `https_proxy` (and upper-case forms) and `no_proxy` environment variables are
/// honoured because the client never sets a proxy of its own. Redirects are not followed.
public final class HTTPClient {
    /// Settings that stay the same for every request of a client.
    public struct Configuration: Sendable {
        /// Time allowed for DNS, TCP and TLS before a request fails with `.timedOut`.
        public var connectTimeout: Duration
        /// Time allowed for a whole request, connection included.
        public var totalTimeout: Duration
        public var userAgent: String
        /// Answers with larger bodies fail with `.responseTooLarge` instead of filling memory.
        public var maximumResponseBodySize: Int

        public init(
            connectTimeout: Duration = .seconds(10),
            totalTimeout: Duration = .seconds(60),
            userAgent: String = "spool-bigquery/1",
            maximumResponseBodySize: Int = 64 << 20
        ) {
            self.connectTimeout = connectTimeout
            self.totalTimeout = totalTimeout
            self.userAgent = userAgent
            self.maximumResponseBodySize = maximumResponseBodySize
        }
    }

    public let configuration: Configuration
    private let handle: UnsafeMutableRawPointer
    /// libcurl writes its detailed error text here during `curl_easy_perform`.
    private let errorBuffer: UnsafeMutablePointer<CChar>

    /// `curl_global_init` is not thread-safe; a static let runs it exactly once, under the runtime's lock.
    private static let globalInitialization: CURLcode = spool_curl_global_init_all()

    public init(configuration: Configuration = Configuration()) {
        precondition(Self.globalInitialization == CURLE_OK, "curl_global_init failed")
        guard let handle = curl_easy_init() else {
            // Only fails when out of memory.
            fatalError("curl_easy_init failed")
        }
        self.handle = handle
        self.configuration = configuration
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends `request` and waits for the whole answer. Any HTTP status is a response; only a missing answer
    /// (connection, TLS, timeout, malformed URL) throws.
    public func send(_ request: HTTPRequest) throws(HTTPClientError) -> HTTPResponse {
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw HTTPClientError(kind: .invalidURL, curlCode: 0, message: "only http and https URLs are supported")
        }
        let body = request.compressBody ? gzip(request.body) : request.body
        let accumulator = ResponseAccumulator(maximumBodySize: configuration.maximumResponseBodySize)
        let headerList = makeHeaderList(for: request)
        defer { curl_slist_free_all(headerList) }

        // Reset clears the previous request's options but keeps live connections, DNS and TLS session caches.
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        let code: CURLcode = body.withUnsafeBufferPointer { bodyBytes in
            let context = Unmanaged.passUnretained(accumulator).toOpaque()
            if let failure = configureHandle(for: request, body: bodyBytes, headers: headerList, context: context) {
                return failure
            }
            return withExtendedLifetime(accumulator) { curl_easy_perform(handle) }
        }
        guard code == CURLE_OK else {
            throw makeError(code, accumulator: accumulator)
        }
        var status = 0
        _ = spool_curl_easy_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: accumulator.headers, body: accumulator.body)
    }

    private func makeHeaderList(for request: HTTPRequest) -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers {
            // "Name:" with nothing after it tells libcurl to remove its own header; "Name;" sends it empty.
            let line = field.value.isEmpty ? "\(field.name);" : "\(field.name): \(field.value)"
            list = curl_slist_append(list, line)
        }
        // libcurl waits for "100 Continue" before sending larger bodies: one extra round trip per batch.
        if !request.headers.contains("Expect") {
            list = curl_slist_append(list, "Expect:")
        }
        if request.compressBody {
            list = curl_slist_append(list, "Content-Encoding: gzip")
        }
        return list
    }

    /// Sets every option of one request. Returns the first failing option's code, or nil.
    private func configureHandle(
        for request: HTTPRequest,
        body: UnsafeBufferPointer<UInt8>,
        headers: UnsafeMutablePointer<curl_slist>?,
        context: UnsafeMutableRawPointer
    ) -> CURLcode? {
        var results: [CURLcode] = []
        results.reserveCapacity(24)
        func set(_ option: CURLoption, _ value: Int) {
            results.append(spool_curl_easy_setopt_long(handle, option, value))
        }
        func set(_ option: CURLoption, _ value: String) {
            // libcurl copies string options (since 7.17), so a temporary C string is enough.
            results.append(spool_curl_easy_setopt_string(handle, option, value))
        }
        set(CURLOPT_URL, request.url)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        set(CURLOPT_FOLLOWLOCATION, 0)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(configuration.connectTimeout))
        set(CURLOPT_TIMEOUT_MS, Self.milliseconds(configuration.totalTimeout))
        set(CURLOPT_USERAGENT, configuration.userAgent)
        // An empty string offers every encoding libcurl can decode (gzip, deflate) and decodes the answer.
        set(CURLOPT_ACCEPT_ENCODING, "")
        results.append(spool_curl_easy_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        results.append(spool_curl_easy_setopt_pointer(handle, CURLOPT_HTTPHEADER, headers))

        switch request.method {
        case .get:
            set(CURLOPT_HTTPGET, 1)
        case .post:
            set(CURLOPT_POST, 1)
        default:
            set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
        }
        if request.method != .get || !body.isEmpty {
            results.append(spool_curl_easy_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
            if let bytes = body.baseAddress, !body.isEmpty {
                // POSTFIELDS does not copy: the body stays alive for the whole perform (see `send`).
                results.append(
                    spool_curl_easy_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes))
                )
            } else {
                set(CURLOPT_COPYPOSTFIELDS, "")
            }
            if request.method != .post {
                // POSTFIELDS switches the method to POST; say again which one is wanted.
                set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            }
        }

        results.append(spool_curl_easy_setopt_write_callback(handle, CURLOPT_WRITEFUNCTION, receiveBody))
        results.append(spool_curl_easy_setopt_pointer(handle, CURLOPT_WRITEDATA, context))
        results.append(spool_curl_easy_setopt_write_callback(handle, CURLOPT_HEADERFUNCTION, receiveHeader))
        results.append(spool_curl_easy_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        return results.first { $0 != CURLE_OK }
    }

    private func makeError(_ code: CURLcode, accumulator: ResponseAccumulator) -> HTTPClientError {
        if code == CURLE_WRITE_ERROR, accumulator.exceededLimit {
            return HTTPClientError(
                kind: .responseTooLarge, curlCode: Int(code.rawValue),
                message: "the answer's body exceeds \(configuration.maximumResponseBodySize) bytes"
            )
        }
        let summary = String(cString: curl_easy_strerror(code))
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty || detail == summary ? summary : "\(summary): \(detail)"
        return HTTPClientError(kind: HTTPClientError.kind(for: code), curlCode: Int(code.rawValue), message: message)
    }

    private static func milliseconds(_ duration: Duration) -> Int {
        Int(duration.timeoutMilliseconds)
    }
}

/// Collects one answer's headers and body from libcurl's callbacks.
private final class ResponseAccumulator {
    let maximumBodySize: Int
    var headers = HTTPHeaders()
    var body: [UInt8] = []
    var exceededLimit = false

    init(maximumBodySize: Int) {
        self.maximumBodySize = maximumBodySize
    }

    func appendHeaderLine(_ bytes: UnsafeBufferPointer<UInt8>) {
        var end = bytes.count
        // Byte-wise: "\r\n" is one Character in Swift, so a Character comparison would miss it.
        while end > 0, bytes[end - 1] == 13 || bytes[end - 1] == 10 {
            end -= 1
        }
        let line = Substring(decoding: UnsafeBufferPointer(rebasing: bytes[0..<end]), as: UTF8.self)
        if line.hasPrefix("HTTP/") {
            // A new status line (after "100 Continue"): only the final answer's headers count.
            headers = HTTPHeaders()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingSpaces()
        let value = line[line.index(after: colon)...].trimmingSpaces()
        headers.add(name: String(name), value: String(value))
    }

    func appendBody(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard body.count + bytes.count <= maximumBodySize else {
            exceededLimit = true
            return false
        }
        body.append(contentsOf: bytes)
        return true
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" { result.removeLast() }
        return result
    }
}

private func receiveBody(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    // Returning fewer bytes than given makes libcurl stop with CURLE_WRITE_ERROR.
    return accumulator.appendBody(bytes) ? length : 0
}

private func receiveHeader(
    _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
    guard let data, let context else { return 0 }
    let accumulator = Unmanaged<ResponseAccumulator>.fromOpaque(context).takeUnretainedValue()
    let length = size * count
    accumulator.appendHeaderLine(
        UnsafeBufferPointer(start: UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    )
    return length
}
