import BigQueryREST
import Foundation
@testable import Spool
import SpoolTestSupport
import Testing

/// The table of BigQuery's insertAll answers (`Sources/Spool/Upload/InsertAll/InsertAllAnswers.swift`), row by row:
/// an insertAll answer to a request of three rows, read by `InsertAllAnswers` and judged by `AnswerJudge`.
@Suite("The answer judge")
struct AnswerJudgeTests {
    /// What a judgement did, by row position (0, 1, 2), in comparable terms.
    struct Verdicts: Equatable, CustomStringConvertible {
        var delivered: [Int] = []
        var deadLettered: [Int: DeadLetterReason] = [:]
        /// Row → its last error.
        var retried: [Int: String] = [:]
        /// `succeeded`, `failed`, `paused(reason)`, or `none`.
        var table = "none"
        /// Set when the judge leaves the batch to a bisection.
        var refused: FailureAction?

        var description: String { "delivered \(delivered) dead \(deadLettered) retried \(retried) table \(table) refused \(String(describing: refused))" }
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var answer: String
        var result: InsertAllResult
        var expected: Verdicts
        var testDescription: String { answer }
    }

    static func failure(_ status: Int?, _ reason: String? = nil, kind: RequestFailure.Kind = .httpError, message: String = "m", retryAfter: RetryAfter? = nil) -> InsertAllResult {
        .failed(RequestFailure(kind: kind, httpStatus: status, errorReason: reason, message: message, retryAfter: retryAfter))
    }

    static func retried(_ error: String) -> [Int: String] { [0: error, 1: error, 2: error] }

    static let invalid = ErrorProto(reason: "invalid", location: "response_time_ms", message: "Cannot convert value to integer (bad value): 12.7")
    static let stopped = ErrorProto(reason: "stopped", location: "", message: "")

    static let cases: [Case] = [
        Case(answer: "HTTP 200, no insertErrors: every row delivered",
             result: .response(status: 200, insertErrors: []),
             expected: Verdicts(delivered: [0, 1, 2], table: "succeeded")),
        Case(answer: "200, a row invalid, the others stopped: that row dead-lettered with BigQuery's words, the others re-sent as they are",
             result: .response(status: 200, insertErrors: [
                InsertErrorEntry(index: 0, errors: [stopped]), InsertErrorEntry(index: 1, errors: [invalid]), InsertErrorEntry(index: 2, errors: [stopped]),
             ]),
             expected: Verdicts(deadLettered: [1: DeadLetterReason(reason: "invalid", location: "response_time_ms", message: invalid.message)], table: "succeeded")),
        Case(answer: "200, rows stopped without an invalid row: backed off rather than looped",
             result: .response(status: 200, insertErrors: [InsertErrorEntry(index: 2, errors: [stopped])]),
             expected: Verdicts(delivered: [0, 1], retried: [2: "row stopped without an invalid row in its batch"], table: "succeeded")),
        Case(answer: "200, rows timeout and backendError: those rows retried",
             result: .response(status: 200, insertErrors: [
                InsertErrorEntry(index: 0, errors: [ErrorProto(reason: "timeout", location: "", message: "t")]),
                InsertErrorEntry(index: 2, errors: [ErrorProto(reason: "backendError", location: "", message: "b")]),
             ]),
             expected: Verdicts(delivered: [1], retried: [0: "row timeout: t", 2: "row backendError: b"], table: "succeeded")),
        Case(answer: "400 invalid for the whole request: bisected",
             result: failure(400, "invalid", message: "No rows present in the request."),
             expected: Verdicts(refused: .bisect)),
        Case(answer: "400 over the size limit: bisected",
             result: failure(400, "invalid", message: "Request payload size exceeds the limit: 10485760 bytes."),
             expected: Verdicts(refused: .bisect)),
        Case(answer: "413 from a proxy: bisected",
             result: failure(413),
             expected: Verdicts(refused: .bisect)),
        Case(answer: "401 after the token was refreshed once: backed off",
             result: failure(401, "unauthorized"),
             expected: Verdicts(retried: retried("HTTP 401 unauthorized: m"), table: "failed")),
        Case(answer: "403 rateLimitExceeded: backed off",
             result: failure(403, "rateLimitExceeded"),
             expected: Verdicts(retried: retried("HTTP 403 rateLimitExceeded: m"), table: "failed")),
        Case(answer: "400 rateLimitExceeded: backed off",
             result: failure(400, "rateLimitExceeded"),
             expected: Verdicts(retried: retried("HTTP 400 rateLimitExceeded: m"), table: "failed")),
        Case(answer: "403 quotaExceeded: a long backoff",
             result: failure(403, "quotaExceeded"),
             expected: Verdicts(retried: retried("HTTP 403 quotaExceeded: m"), table: "failed(long)")),
        Case(answer: "403 accessDenied: the table paused, its rows kept",
             result: failure(403, "accessDenied"),
             expected: Verdicts(table: "paused(accessDenied)")),
        Case(answer: "404 notFound: the table paused, its rows kept",
             result: failure(404, "notFound"),
             expected: Verdicts(table: "paused(notFound)")),
        Case(answer: "an impossible id (not sent): the table paused",
             result: failure(nil, kind: .invalidRequest),
             expected: Verdicts(table: "paused(invalidRequest)")),
        Case(answer: "408: backed off",
             result: failure(408),
             expected: Verdicts(retried: retried("HTTP 408: m"), table: "failed")),
        Case(answer: "429: backed off",
             result: failure(429),
             expected: Verdicts(retried: retried("HTTP 429: m"), table: "failed")),
        Case(answer: "503: backed off",
             result: failure(503, "backendError"),
             expected: Verdicts(retried: retried("HTTP 503 backendError: m"), table: "failed")),
        Case(answer: "a network error or timeout: backed off",
             result: failure(nil, kind: .transport),
             expected: Verdicts(retried: retried("no answer: m"), table: "failed")),
        Case(answer: "an unreadable 200: backed off",
             result: failure(200, kind: .garbage),
             expected: Verdicts(retried: retried("unreadable answer (HTTP 200): m"), table: "failed")),
        Case(answer: "no access token: backed off",
             result: failure(nil, kind: .credentials),
             expected: Verdicts(retried: retried("no access token: m"), table: "failed")),
        Case(answer: "an unexpected 409: backed off, nothing says the rows are at fault",
             result: failure(409, "duplicate"),
             expected: Verdicts(retried: retried("HTTP 409 duplicate: m"), table: "failed")),
        Case(answer: "500: a server error, bisected when it repeats",
             result: failure(500, "internalError"),
             expected: Verdicts(refused: .serverError)),
    ]

    static let now: Int64 = 1_800_000_000_000

    static func verdicts(_ judgement: AnswerJudge.Judgement, rows: [OutboxRow]) -> Verdicts {
        let position = Dictionary(uniqueKeysWithValues: rows.enumerated().map { ($1.id, $0) })
        switch judgement {
        case .refused(let failure):
            return Verdicts(refused: failure.action)
        case .resolved(let resolution):
            var verdicts = Verdicts()
            verdicts.delivered = resolution.delivered.compactMap { position[$0] }.sorted()
            verdicts.deadLettered = Dictionary(uniqueKeysWithValues: resolution.deadLettered.map { (position[$0.id]!, $0.reason) })
            verdicts.retried = Dictionary(uniqueKeysWithValues: resolution.retried.map { (position[$0.id]!, $0.error) })
            switch resolution.tableOutcome {
            case .succeeded: verdicts.table = "succeeded"
            case .failed(let until, _): verdicts.table = until - now >= 600_000 ? "failed(long)" : "failed"
            case .paused(let reason, _, _): verdicts.table = "paused(\(reason))"
            case nil: verdicts.table = "none"
            }
            return verdicts
        }
    }

    @Test("each insertAll answer leads to the action of the answers table", arguments: cases)
    func eachAnswerLeadsToItsAction(_ answerCase: Case) throws {
        let claimed = try ClaimedRows(count: 3)
        defer { claimed.close() }
        let outcome = InsertAllAnswers.outcome(of: answerCase.result, rowCount: 3)
        let judgement = exactJudge().judge(claimed.rows[...], outcome, now: Self.now)
        #expect(Self.verdicts(judgement, rows: claimed.rows) == answerCase.expected)
    }

    @Test("the cases cover every FailureAction")
    func everyFailureActionIsCovered() {
        var seen: Set<String> = []
        for answerCase in Self.cases {
            if case .failed(let failure) = answerCase.result {
                switch InsertAllAnswers.action(failure) {
                case .bisect: seen.insert("bisect")
                case .serverError: seen.insert("serverError")
                case .retry: seen.insert("retry")
                case .quota: seen.insert("quota")
                case .pause: seen.insert("pause")
                }
            }
        }
        #expect(seen == ["bisect", "serverError", "retry", "quota", "pause"])
    }

    @Test("a whole-request failure backs off from the table's consecutive failures; retried rows from their own tries")
    func backoffGrowsWithFailures() throws {
        let claimed = try ClaimedRows(count: 1)
        defer { claimed.close() }
        let failed = InsertAllAnswers.outcome(of: Self.failure(503), rowCount: 1)
        guard case .resolved(let resolution) = exactJudge(failuresSoFar: 4).judge(claimed.rows[...], failed, now: Self.now) else {
            Issue.record("503 is not left to a bisection")
            return
        }
        #expect(resolution.retried.first?.notBefore == Self.now + 5_000, "the fifth consecutive failure")
        let answered = exactJudge(failuresSoFar: 4).answered(claimed.rows[...], [.retry(error: "row timeout: t")], now: Self.now)
        #expect(answered.retried.first?.notBefore == Self.now + Int64(claimed.rows[0].attempts + 1) * 1000)
    }

    @Test("Retry-After as a date is read against the uploader's clock, not the wall clock")
    func retryAfterDateUsesTheInjectedClock() throws {
        let claimed = try ClaimedRows(count: 2)
        defer { claimed.close() }
        // The injected clock is years from the wall clock: read against Date(), this wait would be years or none.
        let retryAt = Date(timeIntervalSince1970: Double(Self.now) / 1000 + 90)
        let outcome = InsertAllAnswers.outcome(of: Self.failure(429, retryAfter: .date(retryAt)), rowCount: 2)
        guard case .resolved(let resolution) = exactJudge().judge(claimed.rows[...], outcome, now: Self.now) else {
            Issue.record("429 is not left to a bisection")
            return
        }
        #expect(resolution.retried.map(\.notBefore) == [Self.now + 90_000, Self.now + 90_000])
        guard case .failed(let until, _) = resolution.tableOutcome else {
            Issue.record("the table backs off")
            return
        }
        #expect(until == Self.now + 90_000)
    }

    @Test("Retry-After in seconds raises a quota's wait only when it is longer")
    func retryAfterSecondsAndQuota() throws {
        let claimed = try ClaimedRows(count: 1)
        defer { claimed.close() }
        let short = InsertAllAnswers.outcome(of: Self.failure(403, "quotaExceeded", retryAfter: .seconds(30)), rowCount: 1)
        let long = InsertAllAnswers.outcome(of: Self.failure(403, "quotaExceeded", retryAfter: .seconds(900)), rowCount: 1)
        for (outcome, wait) in [(short, Int64(600_000)), (long, Int64(900_000))] {
            guard case .resolved(let resolution) = exactJudge().judge(claimed.rows[...], outcome, now: Self.now) else {
                Issue.record("a quota error is not left to a bisection")
                continue
            }
            #expect(resolution.retried.first?.notBefore == Self.now + wait)
        }
    }
}
