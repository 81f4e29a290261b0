import Foundation
@testable import Spool
import SpoolTestSupport

/// Real claimed rows: appended to a spool file in a temporary directory and claimed, as the uploader claims them.
struct ClaimedRows {
    let directory: TemporaryDirectory
    let spool: Spool
    let rows: [OutboxRow]

    init(count: Int, table: String = "user_search_events") throws {
        directory = try TemporaryDirectory()
        spool = try Spool(path: directory.file("spool.db").path)
        for index in 0..<count {
            try spool.append(json: #"{"event_id":"e\#(index)"}"#, to: table)
        }
        rows = try spool.outbox.claim(table: table, now: WallClock.nowMillis(), maxRows: count, maxBytes: 1 << 30)
    }

    func close() {
        spool.close()
        directory.remove()
    }
}

/// A judge whose backoff is exact: one second per consecutive failure, raised to `minimum`.
func exactJudge(failuresSoFar: Int = 0, quotaBackoff: Duration = .seconds(600), pauseRecheckInterval: Duration = .seconds(300)) -> AnswerJudge {
    AnswerJudge(
        failuresSoFar: failuresSoFar, quotaBackoff: quotaBackoff, pauseRecheckInterval: pauseRecheckInterval,
        delay: { failures, minimum in .milliseconds(max(Int64(failures) * 1000, minimum?.inMilliseconds ?? 0)) }
    )
}
