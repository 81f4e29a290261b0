import Foundation
import Spool
import SpoolTestSupport
import Synchronization
import Testing

/// A server that refuses any whole batch holding a poison row — as the emulator does with HTTP 500 for bad data,
/// and BigQuery with 400 for a request it cannot take — and stores every other batch.
final class PoisonServer: Sendable {
    let storedIds = LockedValue<[String]>([])
    let requests = LockedValue(0)
    let server: LoopbackHTTPServer
    var stored: [String] { storedIds.value }
    var requestCount: Int { requests.value }

    init(status: Int) throws {
        let storedIds = self.storedIds
        let requests = self.requests
        server = try LoopbackHTTPServer { request in
            requests.update { $0 += 1 }
            let body = request.bodyText
            if body.contains("POISON") {
                return GoogleErrorReply.reply(status: status, reason: status == 500 ? "internalError" : "invalid", message: status == 500 ? "An internal error occurred" : "Request payload size exceeds the limit: 10485760 bytes.")
            }
            let rows = ((request.jsonBody() as? [String: Any])?["rows"] as? [[String: Any]]) ?? []
            let ids = rows.compactMap { ($0["json"] as? [String: Any])?["event_id"] as? String }
            storedIds.update { $0 += ids }
            return .json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#)
        }
    }
}

@Suite("Bisection of refused batches")
struct BisectionTests {
    @Test("a poison row answered with whole-batch errors is isolated into dead_letters; every good row is delivered", arguments: [500, 400])
    func poisonRowsAreIsolated(status: Int) throws {
        let directory = try TemporaryDirectory()
        let poison = try PoisonServer(status: status)
        defer { poison.server.stop() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        let poisoned: Set<Int> = [17, 140, 141, 299]
        for index in 0..<300 {
            let query = poisoned.contains(index) ? "POISON" : "fine"
            try spool.append(json: #"{"event_id":"e\#(index)","query":"\#(query)"}"#, to: "user_search_events")
        }
        var configuration = fastUploaderConfiguration()
        configuration.batchRows = 100
        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: poison.server.baseURL)
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .seconds(60))
        #expect(outcome.remainingRows == 0)
        let stored = poison.stored
        #expect(Set(stored) == Set((0..<300).filter { !poisoned.contains($0) }.map { "e\($0)" }))
        #expect(stored.count == 296, "each good row stored once")
        let letters = try spool.deadLetters(matching: DeadLetterFilter(limit: 100))
        #expect(Set(letters.compactMap { (try? JSONParser.parse($0.payload))?.objectValue?["event_id"]?.stringValue }) == Set(poisoned.map { "e\($0)" }))
        #expect(letters.allSatisfy { $0.reason == (status == 500 ? "internalError" : "invalid") })
        #expect(poison.requestCount < 150, "bisection, not one request per row")
    }

    @Test("when every request fails with 500 (an outage, not a poison row), nothing is dead-lettered")
    func anOutageIsNotPoison() throws {
        let directory = try TemporaryDirectory()
        let server = try LoopbackHTTPServer { _ in GoogleErrorReply.backendError(status: 500) }
        defer { server.stop() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        for index in 0..<20 { try spool.append(json: #"{"event_id":"e\#(index)"}"#, to: "user_search_events") }
        let destination = Destination(project: "test-project", dataset: "analytics", endpoint: server.baseURL)
        var configuration = fastUploaderConfiguration()
        configuration.initialBackoff = .seconds(1)
        configuration.maxBackoff = .seconds(1)
        let outcome = try SpoolUploader(spool: spool, destination: destination, configuration: configuration).drain(timeout: .milliseconds(3500))
        #expect(outcome.remainingRows == 20)
        #expect(try spool.deadLetters().isEmpty)
        // About four tries a second apart, each at most a probe down one branch (log2(20) + 2 requests).
        #expect(outcome.report.requests <= 4 * 8, "\(outcome.report.requests) requests against a failing server")
        #expect(try spool.status().tables.first?.maxAttempts ?? 0 >= 2)
    }
}
