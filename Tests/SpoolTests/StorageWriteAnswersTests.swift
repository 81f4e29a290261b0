import BigQueryStorageWrite
import Foundation
@testable import Spool
import SpoolTestSupport
import Testing

/// The table of AppendRows answers (`Sources/Spool/Upload/StorageWrite/StorageWriteAnswers.swift`), row by row, as a
/// pure function of the requests and their answers.
@Suite("Storage Write answers")
struct StorageWriteAnswersTests {
    /// Three requests of two rows at offsets 10, 12 and 14.
    static let requests = [
        AppendRequest(offset: 10, rows: ["a", "b"]), AppendRequest(offset: 12, rows: ["c", "d"]), AppendRequest(offset: 14, rows: ["e", "f"]),
    ]
    static let transient = WriteStreamError(kind: .transient, status: "UNAVAILABLE", message: "reset")

    struct Case: CustomTestStringConvertible, Sendable {
        var answer: String
        var outcomes: [AppendOutcome]
        var expected: StorageWriteAnswers.Verdict
        var testDescription: String { answer }
    }

    static let cases: [Case] = [
        Case(answer: "every request appended", outcomes: [.appended(offset: 10), .appended(offset: 12), .appended(offset: 14)],
             expected: .init(acknowledgedEnd: 16, deciding: nil)),
        Case(answer: "ALREADY_EXISTS counts as delivered", outcomes: [.alreadyExists, .alreadyExists, .appended(offset: 14)],
             expected: .init(acknowledgedEnd: 16, deciding: nil)),
        Case(answer: "a later request acknowledged: the failed one before it was written too",
             outcomes: [.failed(transient), .appended(offset: 12), .outOfRange(message: "x")],
             expected: .init(acknowledgedEnd: 14, deciding: .streamEnded(message: "x"))),
        Case(answer: "row_errors on the second request: named rows by offset",
             outcomes: [.appended(offset: 10), .rowErrors([.init(index: 1, code: "FIELDS_ERROR", message: "bad d")]), .outOfRange(message: "x")],
             expected: .init(acknowledgedEnd: 12, deciding: .rowErrors(request: requests[1], messages: [13: "bad d"]))),
        Case(answer: "row_errors naming no row of the request is a failure, not a verdict on rows",
             outcomes: [.rowErrors([.init(index: 7, code: "FIELDS_ERROR", message: "?")]), .outOfRange(message: "x"), .outOfRange(message: "x")],
             expected: .init(acknowledgedEnd: 10, deciding: .failed(WriteStreamError(kind: .other, message: "row_errors naming no row of the request")))),
        Case(answer: "OUT_OF_RANGE on the first unacknowledged request ends the stream",
             outcomes: [.outOfRange(message: "beyond"), .outOfRange(message: "beyond"), .outOfRange(message: "beyond")],
             expected: .init(acknowledgedEnd: 10, deciding: .streamEnded(message: "beyond"))),
        Case(answer: "a finalized stream ends the stream",
             outcomes: [.appended(offset: 10), .streamUnusable(message: "finalized"), .streamUnusable(message: "finalized")],
             expected: .init(acknowledgedEnd: 12, deciding: .streamEnded(message: "finalized"))),
        Case(answer: "an in-stream transient failure after an acknowledged request",
             outcomes: [.appended(offset: 10), .failed(transient), .outOfRange(message: "x")],
             expected: .init(acknowledgedEnd: 12, deciding: .failed(transient))),
        Case(answer: "an in-stream invalid row is that row's refusal",
             outcomes: [.failed(WriteStreamError(kind: .invalidRow(index: 1), message: "cannot encode")), .outOfRange(message: "x"), .outOfRange(message: "x")],
             expected: .init(acknowledgedEnd: 10, deciding: .rowErrors(request: requests[0], messages: [11: "cannot encode"]))),
    ]

    @Test("each answer decides as the table says", arguments: cases)
    func verdicts(_ testCase: Case) {
        #expect(StorageWriteAnswers.verdict(testCase.outcomes, requests: Self.requests) == testCase.expected)
    }

    @Test("new rows split into requests at the row limit and where the JSON bytes would pass the limit, and nowhere else")
    func newRowsSplit() throws {
        let claimed = try ClaimedRows(count: 6)
        defer { claimed.close() }
        let size = claimed.rows[0].payloadBytes
        let rows = claimed.rows[...]
        #expect(StorageWriteAnswers.split(rows, maxRows: 10, maxBytes: 100 * size).map(\.count) == [6])
        #expect(StorageWriteAnswers.split(rows, maxRows: 4, maxBytes: 100 * size).map(\.count) == [4, 2])
        #expect(StorageWriteAnswers.split(rows, maxRows: 10, maxBytes: 2 * size + 1).map(\.count) == [2, 2, 2])
        #expect(StorageWriteAnswers.split(rows, maxRows: 10, maxBytes: 1).map(\.count) == [1, 1, 1, 1, 1, 1])
        #expect(StorageWriteAnswers.split(rows, maxRows: 10, maxBytes: 100 * size).flatMap { $0.map(\.id) } == rows.map(\.id))
    }

    @Test("held rows are sent again in the requests they were sent in, split where a row has gone, never joined")
    func heldRowsResent() throws {
        let claimed = try ClaimedRows(count: 6)
        defer { claimed.close() }
        var rows = claimed.rows
        // Requests [0, 1] and [2, 3, 4, 5] as first sent; the row at offset 3 has gone since.
        let offsets: [Int64] = [0, 1, 2, 4, 5, 6]
        let requestsOf: [Int64] = [0, 0, 2, 2, 2, 6]
        for index in rows.indices {
            rows[index].streamOffset = offsets[index]
            rows[index].streamRequest = requestsOf[index]
        }
        let requests = StorageWriteAnswers.resent(rows[...])
        #expect(requests.map(\.offset) == [0, 2, 4, 6])
        #expect(requests.map(\.rows.count) == [2, 1, 2, 1])
        #expect(requests.flatMap(\.rows) == rows.map(\.payload))
    }

    @Test("after BigQuery wrote nothing from an offset on, the named rows are refused and the others sent again")
    func refusedRows() {
        let outcomes = StorageWriteAnswers.refused(offsets: [4, 5, 6, 7], rows: [6: "bad", 4: "before the refusal"], from: 5)
        #expect(outcomes == [.resend, .resend, .invalid(DeadLetterReason(reason: "invalid", message: "bad")), .resend])
    }
}
