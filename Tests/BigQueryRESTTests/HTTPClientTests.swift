@testable import BigQueryREST
import Foundation
import SpoolTestSupport
import Testing

@Suite struct HTTPClientTests {
    @Test func getReturnsStatusHeadersAndBody() throws {
        let server = try LoopbackHTTPServer { _ in
            .response(StubResponse(status: 203, headers: [(name: "X-Custom-Header", value: "yes")], body: Array("hello".utf8)))
        }
        defer { server.stop() }
        let client = HTTPClient()
        let response = try client.send(HTTPRequest(method: .get, url: server.baseURL + "/path?q=1"))
        #expect(response.status == 203)
        #expect(response.headers["x-custom-header"] == "yes")
        #expect(response.body == Array("hello".utf8))
        let received = try #require(server.requests.first)
        #expect(received.method == "GET")
        #expect(received.target == "/path?q=1")
        #expect(received.header("User-Agent") == HTTPClient.Configuration().userAgent)
    }

    @Test func gzipAnswersAreDecoded() throws {
        let text = String(repeating: "compressible ", count: 500)
        let server = try LoopbackHTTPServer { _ in
            .response(StubResponse(status: 200, headers: [(name: "Content-Encoding", value: "gzip")], body: gzip(Array(text.utf8))))
        }
        defer { server.stop() }
        let response = try HTTPClient().send(HTTPRequest(url: server.baseURL + "/"))
        #expect(String(decoding: response.body, as: UTF8.self) == text)
        #expect(server.requests.first?.header("Accept-Encoding")?.contains("gzip") == true)
    }

    @Test func compressedBodiesArriveGzippedWithoutWaitingForContinue() throws {
        let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
        defer { server.stop() }
        let body = Array(String(repeating: #"{"k":"value"}"#, count: 20_000).utf8)
        _ = try HTTPClient().send(HTTPRequest(method: .post, url: server.baseURL + "/upload", body: body, compressBody: true))
        let received = try #require(server.requests.first)
        #expect(received.wasGzipped)
        #expect(received.header("Content-Encoding") == "gzip")
        #expect(received.body == body)
        #expect(received.wireBodySize < body.count)
        #expect(received.header("Expect") == nil)
        #expect(!received.sentContinue)
    }

    @Test func serverAnswersExpectContinueWhenAClientAsksForIt() throws {
        let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
        defer { server.stop() }
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 100_000)
        let response = try HTTPClient().send(
            HTTPRequest(method: .post, url: server.baseURL + "/", headers: ["Expect": "100-continue"], body: body)
        )
        #expect(response.status == 200)
        let received = try #require(server.requests.first)
        #expect(received.sentContinue)
        #expect(received.body.count == body.count)
    }

    @Test func methodsOtherThanGetAndPostAreSentAsAsked() throws {
        let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
        defer { server.stop() }
        let client = HTTPClient()
        _ = try client.send(HTTPRequest(method: .patch, url: server.baseURL + "/a", body: Array("{}".utf8)))
        _ = try client.send(HTTPRequest(method: .post, url: server.baseURL + "/b"))
        _ = try client.send(HTTPRequest(method: .delete, url: server.baseURL + "/c"))
        _ = try client.send(HTTPRequest(method: .get, url: server.baseURL + "/d"))
        #expect(server.requests.map(\.method) == ["PATCH", "POST", "DELETE", "GET"])
        #expect(server.requests[0].bodyText == "{}")
        #expect(server.requests[1].body.isEmpty)
    }

    @Test func oneConnectionCarriesSuccessiveRequests() throws {
        let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
        defer { server.stop() }
        let client = HTTPClient()
        for _ in 0..<5 {
            _ = try client.send(HTTPRequest(method: .post, url: server.baseURL + "/", body: Array("x".utf8)))
        }
        #expect(server.requests.count == 5)
        #expect(server.connectionCount == 1)
    }

    @Test func aClosedPortFailsAsCouldNotConnect() throws {
        let server = try LoopbackHTTPServer { _ in .json(200, "{}") }
        let url = server.baseURL + "/"
        server.stop()
        let error = #expect(throws: HTTPClientError.self) { try HTTPClient().send(HTTPRequest(url: url)) }
        #expect(error?.kind == .couldNotConnect)
        #expect(error?.curlCode == 7)
    }

    @Test func aResetConnectionFailsAsConnectionReset() throws {
        let server = try LoopbackHTTPServer { _ in .resetConnection }
        defer { server.stop() }
        let request = HTTPRequest(method: .post, url: server.baseURL + "/", headers: ["Authorization": "Bearer secret-value-123"], body: Array("payload-secret".utf8))
        let error = #expect(throws: HTTPClientError.self) { try HTTPClient().send(request) }
        #expect(error?.kind == .connectionReset)
        let description = "\(String(describing: error))"
        #expect(!description.contains("secret-value-123"))
        #expect(!description.contains("payload-secret"))
    }

    @Test func aSlowAnswerFailsAsTimedOut() throws {
        let server = try LoopbackHTTPServer { _ in .delay(.seconds(5), then: .json(200, "{}")) }
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(totalTimeout: .milliseconds(300)))
        let error = #expect(throws: HTTPClientError.self) { try client.send(HTTPRequest(url: server.baseURL + "/")) }
        #expect(error?.kind == .timedOut)
    }

    @Test func aBodyCutShortFailsAsConnectionReset() throws {
        let server = try LoopbackHTTPServer { _ in .truncated(.json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#), bytes: 10) }
        defer { server.stop() }
        let error = #expect(throws: HTTPClientError.self) { try HTTPClient().send(HTTPRequest(url: server.baseURL + "/")) }
        #expect(error?.kind == .connectionReset)
    }

    @Test func urlsThatAreNotHTTPAreRefused() {
        let client = HTTPClient()
        let notHTTP = #expect(throws: HTTPClientError.self) { try client.send(HTTPRequest(url: "file:///etc/passwd")) }
        #expect(notHTTP?.kind == .invalidURL)
        let malformed = #expect(throws: HTTPClientError.self) { try client.send(HTTPRequest(url: "http://")) }
        #expect(malformed?.kind == .invalidURL)
    }

    @Test func answersLargerThanTheLimitAreRefused() throws {
        let server = try LoopbackHTTPServer { _ in .response(StubResponse(status: 200, body: [UInt8](repeating: 65, count: 100_000))) }
        defer { server.stop() }
        let client = HTTPClient(configuration: .init(maximumResponseBodySize: 1000))
        let error = #expect(throws: HTTPClientError.self) { try client.send(HTTPRequest(url: server.baseURL + "/")) }
        #expect(error?.kind == .responseTooLarge)
    }

    @Test func theClientWorksAgainAfterAFailure() throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/reset" ? .resetConnection : .json(200, #"{"ok":true}"#)
        }
        defer { server.stop() }
        let client = HTTPClient()
        #expect(throws: HTTPClientError.self) { try client.send(HTTPRequest(url: server.baseURL + "/reset")) }
        let response = try client.send(HTTPRequest(url: server.baseURL + "/fine"))
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"ok":true}"#)
    }

    @Test func headerDescriptionsNameFieldsButNotValues() {
        let headers: HTTPHeaders = ["Authorization": "Bearer secret-token"]
        #expect(headers.description.contains("Authorization"))
        #expect(!headers.description.contains("secret-token"))
    }
}
