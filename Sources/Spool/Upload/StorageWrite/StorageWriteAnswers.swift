import BigQueryStorageWrite
import SpoolStorage

/// BigQuery's AppendRows answers in the uploader's terms, after Google's documentation of COMMITTED streams:
///
/// | answer | action |
/// |---|---|
/// | appended, or ALREADY_EXISTS (the offset was written before) | the request's rows are delivered: BigQuery applies a request whole or not at all, and a resend is a part of one request as first sent (`write_requests`) |
/// | any request acknowledged at offset `o` with `n` rows | every row below `o + n` is delivered (appends need the offsets before them) |
/// | `row_errors` (nothing of the request was written) | the named rows → dead_letters with BigQuery's message; the rest of the batch from that request on get new offsets |
/// | OUT_OF_RANGE on the first unacknowledged request | the stream's end lies behind the spool's books: finalize it; its row count says which rows it holds; the others get offsets in a new stream |
/// | finalized, expired or unknown stream | the same: finalize (a stream BigQuery forgot has no row count: its rows are all sent again) |
/// | UNAVAILABLE, DEADLINE_EXCEEDED, a dropped connection (thrown, or in-stream) | back off; the same rows at the same offsets next time |
/// | RESOURCE_EXHAUSTED | long backoff |
/// | PERMISSION_DENIED, NOT_FOUND | pause the table, keep its rows |
/// | the writer schema refused | fetch the table's schema once and write with it (and check drift); refused again: pause |
///
/// No request is refused as a whole in a way that needs bisection: `row_errors` names the rows.
enum StorageWriteAnswers {
    /// What the answers to one call decide.
    struct Verdict: Equatable {
        /// Every row below this offset is in BigQuery.
        var acknowledgedEnd: Int64
        /// The first request at or past `acknowledgedEnd` that was not acknowledged, and what it says; nil when every
        /// request was.
        var deciding: Deciding?
    }

    enum Deciding: Equatable {
        /// Nothing of `request` was written: the rows at these offsets were refused with these messages.
        case rowErrors(request: AppendRequest, messages: [Int64: String])
        /// The stream can take no more rows here (OUT_OF_RANGE on the first unacknowledged offset, finalized, gone).
        case streamEnded(message: String)
        case failed(WriteStreamError)
    }

    /// New rows as AppendRows requests of at most `maxRows` rows and — beyond a request's first row — `maxBytes` of JSON.
    static func split(_ rows: ArraySlice<OutboxRow>, maxRows: Int, maxBytes: Int) -> [ArraySlice<OutboxRow>] {
        var requests: [ArraySlice<OutboxRow>] = []
        var start = rows.startIndex
        var bytes = 0
        for index in rows.indices {
            let size = rows[index].payloadBytes
            if index > start && (index - start >= maxRows || bytes + size > maxBytes) {
                requests.append(rows[start..<index])
                start = index
                bytes = 0
            }
            bytes += size
        }
        if start < rows.endIndex { requests.append(rows[start...]) }
        return requests
    }

    /// Held rows (`streamOffset` and `streamRequest` set, ascending) as the requests they were first sent in, each split
    /// where a row has gone since (evicted by the cap, purged): every request sent again is a part of one BigQuery
    /// applied whole or not at all, so ALREADY_EXISTS for it vouches for all of its rows.
    static func resent(_ rows: ArraySlice<OutboxRow>) -> [AppendRequest] {
        var requests: [AppendRequest] = []
        var requestOf: Int64?
        for row in rows {
            let offset = row.streamOffset ?? -1
            if let last = requests.last, requestOf == row.streamRequest, last.offset + Int64(last.rows.count) == offset {
                requests[requests.count - 1].rows.append(row.payload)
            } else {
                requests.append(AppendRequest(offset: offset, rows: [row.payload]))
                requestOf = row.streamRequest
            }
        }
        return requests
    }

    /// The request that carries the row at `offset`.
    static func request(containing offset: Int64, in requests: [AppendRequest]) -> AppendRequest {
        requests.last { $0.offset <= offset } ?? requests[0]
    }

    static func verdict(_ outcomes: [AppendOutcome], requests: [AppendRequest]) -> Verdict {
        var end = requests.first?.offset ?? 0
        for (request, outcome) in zip(requests, outcomes) {
            switch outcome {
            case .appended, .alreadyExists:
                end = max(end, request.offset + Int64(request.rows.count))
            default:
                break
            }
        }
        var verdict = Verdict(acknowledgedEnd: end)
        for (request, outcome) in zip(requests, outcomes) where request.offset >= end {
            switch outcome {
            case .appended, .alreadyExists:
                continue
            case .rowErrors(let failures):
                let named = failures.filter { request.rows.indices.contains($0.index) }
                guard !named.isEmpty else {
                    verdict.deciding = .failed(WriteStreamError(kind: .other, message: "row_errors naming no row of the request"))
                    return verdict
                }
                var messages: [Int64: String] = [:]
                for failure in named { messages[request.offset + Int64(failure.index)] = failure.message }
                verdict.deciding = .rowErrors(request: request, messages: messages)
            case .outOfRange(let message), .streamUnusable(let message):
                verdict.deciding = .streamEnded(message: message)
            case .failed(let error):
                if case .invalidRow(let index) = error.kind, request.rows.indices.contains(index) {
                    verdict.deciding = .rowErrors(request: request, messages: [request.offset + Int64(index): error.message])
                } else {
                    verdict.deciding = .failed(error)
                }
            }
            return verdict
        }
        return verdict
    }

    /// Rows from offset `from` on, after BigQuery wrote none of them: the ones in `rows` (offset → BigQuery's message)
    /// are dead-lettered, the others sent again with new offsets. Rows below `from` are left to the caller (`.resend`).
    static func refused(offsets: [Int64], rows messages: [Int64: String], from: Int64) -> [RowOutcome] {
        offsets.map { offset in
            guard offset >= from, let message = messages[offset] else { return .resend }
            return .invalid(DeadLetterReason(reason: "invalid", message: message))
        }
    }
}
