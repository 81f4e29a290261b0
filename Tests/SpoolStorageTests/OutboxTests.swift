import Foundation
import Synchronization
import Testing
@testable import SpoolStorage

/// Group commit's two lanes: appends that need no fsync, and `.full` ones, which share an fsync too.
private let bothLanes: [SQLiteConnection.Synchronous] = [.normal, .full]

@Suite("Outbox")
struct OutboxTests {
    @Test("appended rows are claimed in id order, then delivered, dead-lettered and rescheduled in one apply")
    func appendClaimAndApplyRoundTrip() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let now = nowMillis()
        for index in 0..<6 {
            _ = try outbox.append(table: index % 2 == 0 ? "a" : "b", insertId: "id-\(index)", payload: payload(index), now: now)
        }
        #expect(try outbox.tablesWithRows() == ["a", "b"])
        let batch = try outbox.claim(table: "a", now: now, maxRows: 10, maxBytes: 1 << 20)
        #expect(batch.map(\.insertId) == ["id-0", "id-2", "id-4"])
        #expect(batch.map(\.payload) == [payload(0), payload(2), payload(4)])
        #expect(batch.allSatisfy { $0.attempts == 0 && $0.table == "a" && $0.payloadBytes == $0.payload.utf8.count })

        var resolution = BatchResolution(tableOutcome: .succeeded)
        resolution.delivered = [batch[0].id]
        resolution.deadLettered = [.init(id: batch[1].id, reason: DeadLetterReason(reason: "invalid", location: "response_time_ms", message: "Cannot convert value to integer (bad value): 12.7"))]
        resolution.retried = [.init(id: batch[2].id, notBefore: now + 60_000, error: "backendError")]
        try outbox.apply(resolution, table: "a", now: now)

        #expect(try outbox.claim(table: "a", now: now, maxRows: 10, maxBytes: 1 << 20).isEmpty)
        let later = try outbox.claim(table: "a", now: now + 60_000, maxRows: 10, maxBytes: 1 << 20)
        #expect(later.map(\.insertId) == ["id-4"])
        #expect(later.first?.attempts == 1)
        #expect(try outbox.nextAttempt(table: "a") == now + 60_000)

        let letters = try outbox.deadLetters(matching: DeadLetterFilter())
        #expect(letters.count == 1)
        #expect(letters.first?.insertId == "id-2")
        #expect(letters.first?.reason == "invalid")
        #expect(letters.first?.location == "response_time_ms")
        #expect(letters.first?.attempts == 1)
        #expect(letters.first?.payload == payload(2))

        let status = try outbox.status()
        #expect(status.pendingRows == 4)
        #expect(status.deadLetterRows == 1)
        let tableA = try #require(status.tables.first { $0.table == "a" })
        #expect(tableA.pendingRows == 1)
        #expect(tableA.deliveredRows == 1)
        #expect(tableA.deadLetters == ["invalid": 1])
        #expect(tableA.lastSuccessAt == now)
        #expect(try outbox.pendingTotals().rows == 4)
    }

    /// An outbox whose table "t" holds 700 rows (insert ids "0"…"699"), and the first 600 of them, claimed.
    private func sixHundredOfSevenHundredClaimed(_ directory: TestDirectory) throws -> (Outbox, [OutboxRow]) {
        let outbox = try openOutbox(directory.path("spool.db"))
        for index in 0..<700 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        let batch = try outbox.claim(table: "t", now: 0, maxRows: 600, maxBytes: 1 << 30)
        #expect(batch.count == 600)
        return (outbox, batch)
    }

    @Test("a large batch's deliveries are all deleted, across several short transactions, with exact totals")
    func largeBatchesAreAcknowledgedInFull() throws {
        let directory = try TestDirectory()
        let (outbox, batch) = try sixHundredOfSevenHundredClaimed(directory)
        defer { outbox.close() }
        #expect(600 > Outbox.rowsPerStep * 4, "the batch spans several steps")
        try outbox.apply(BatchResolution(delivered: batch.map(\.id), tableOutcome: .succeeded), table: "t", now: 1)
        #expect(try outbox.claim(table: "t", now: 0, maxRows: 1000, maxBytes: 1 << 30).map(\.insertId) == (600..<700).map { "\($0)" })
        let totals = try outbox.pendingTotals()
        #expect(totals.rows == 100)
        #expect(totals.bytes == (600..<700).reduce(Int64(0)) { $0 + Int64(payload($1).utf8.count) })
        #expect(try outbox.status().tables.first?.deliveredRows == 600)
    }

    @Test("an outage's large batch is rescheduled in full, across short transactions; the failure counts once")
    func largeFailedBatchesAreRescheduledInFull() throws {
        let directory = try TestDirectory()
        let (outbox, batch) = try sixHundredOfSevenHundredClaimed(directory)
        defer { outbox.close() }
        var resolution = BatchResolution(tableOutcome: .failed(backoffUntil: 9_000, error: "connection refused"))
        resolution.deadLettered = batch.prefix(20).map { .init(id: $0.id, reason: DeadLetterReason(reason: "invalid", message: "m")) }
        resolution.retried = batch.dropFirst(20).map { .init(id: $0.id, notBefore: 9_000, error: "connection refused") }
        try outbox.apply(resolution, table: "t", now: 100)

        // Rows 20..<600 wait until 9,000 with one try counted; 600..<700 were never claimed.
        #expect(try outbox.claim(table: "t", now: 8_999, maxRows: 1000, maxBytes: 1 << 30).map(\.insertId) == (600..<700).map { "\($0)" })
        let later = try outbox.claim(table: "t", now: 9_000, maxRows: 1000, maxBytes: 1 << 30)
        #expect(later.map(\.insertId) == (20..<700).map { "\($0)" })
        #expect(later.prefix(580).allSatisfy { $0.attempts == 1 })
        #expect(try outbox.deadLetters(matching: DeadLetterFilter(table: "t")).count == 20)
        #expect(try outbox.pendingTotals().rows == 680)
        let state = try #require(try outbox.tableStates()["t"])
        #expect(state.consecutiveFailures == 1, "the table's outcome is recorded once, not once per transaction")
        #expect(state.backoffUntil == 9_000)
    }

    @Test("a resolution splits into pieces of at most n rows, in order, the table's outcome in the first")
    func resolutionsSplitIntoShortPieces() {
        var resolution = BatchResolution(tableOutcome: .succeeded)
        resolution.deadLettered = (0..<5).map { .init(id: $0, reason: DeadLetterReason(reason: "invalid", message: "m")) }
        resolution.delivered = Array(5..<30)
        resolution.retried = (30..<40).map { .init(id: $0, notBefore: 1, error: "e") }
        let pieces = resolution.chunks(of: 16)
        let sizes = pieces.map { (piece: BatchResolution) -> Int in piece.deadLettered.count + piece.delivered.count + piece.retried.count }
        #expect(sizes == [16, 16, 8])
        let ids = pieces.flatMap { (piece: BatchResolution) -> [Int64] in piece.deadLettered.map(\.id) + piece.delivered + piece.retried.map(\.id) }
        #expect(ids == Array(0..<40))
        #expect(pieces.map { $0.tableOutcome != nil } == [true, false, false])
        #expect(BatchResolution(tableOutcome: .succeeded).chunks(of: 16).count == 1, "an outcome alone still gets its transaction")
    }

    @Test("dead letters are readable with plain SQL: ISO-8601 times and JSON payloads")
    func deadLettersAreReadableWithPlainSQL() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        let appendedAt: Int64 = 1_764_150_000_123 // 2025-11-26T09:40:00.123Z
        _ = try outbox.append(table: "user_search_events", insertId: "x", payload: #"{"event_id":"e1","user_id":"u42"}"#, now: appendedAt)
        let row = try #require(try outbox.claim(table: "user_search_events", now: appendedAt, maxRows: 1, maxBytes: 1000).first)
        try outbox.apply(BatchResolution(deadLettered: [.init(id: row.id, reason: DeadLetterReason(reason: "invalid", location: "event_properties", message: "This field: event_properties is not a record."))]), table: "user_search_events", now: appendedAt + 1000)
        let rows = try rawSQLite(path, "SELECT reason, location, message, json_extract(payload, '$.user_id'), created_at, dead_lettered_at FROM dead_letters")
        #expect(rows == [["invalid", "event_properties", "This field: event_properties is not a record.", "u42", "2025-11-26T09:40:00.123Z", "2025-11-26T09:40:01.123Z"]])
    }

    @Test("claims stop at the byte bound but always take at least one row")
    func claimsAreBoundedByRowsAndBytes() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let now = nowMillis()
        for index in 0..<10 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: now)
        }
        let size = payload(0).utf8.count
        #expect(try outbox.claim(table: "t", now: now, maxRows: 4, maxBytes: 1 << 20).count == 4)
        #expect(try outbox.claim(table: "t", now: now, maxRows: 10, maxBytes: size * 3 + 2).count == 3)
        #expect(try outbox.claim(table: "t", now: now, maxRows: 10, maxBytes: 1).count == 1)
    }

    @Test("eight threads appending at once lose and duplicate nothing")
    func concurrentAppendsFromEightThreads() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for index in 0..<500 {
                do {
                    _ = try outbox.append(table: "t", insertId: "t\(thread)-\(index)", payload: payload(index), now: nowMillis())
                } catch {
                    failures.withLock { $0.append("\(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let rows = try outbox.claim(table: "t", now: nowMillis() + 1, maxRows: 10_000, maxBytes: 1 << 30)
        #expect(rows.count == 4000)
        #expect(Set(rows.map(\.insertId)).count == 4000)
        #expect(Set(rows.map(\.id)).count == 4000)
        for thread in 0..<8 {
            let mine = rows.filter { $0.insertId.hasPrefix("t\(thread)-") }.map { Int($0.insertId.split(separator: "-")[1])! }
            #expect(mine == Array(0..<500), "thread \(thread)'s rows are all there, in its own order")
        }
    }

    @Test("concurrent appends share transactions (group commit), each still acknowledged only when committed", arguments: bothLanes)
    func concurrentAppendsShareCommits(synchronous: SQLiteConnection.Synchronous) throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) { $0.synchronous = synchronous }
        defer { outbox.close() }
        let outcomes = appendConcurrently(outbox, threads: 8, rowsEach: 250)
        #expect(outcomes.failures.isEmpty)
        #expect(outcomes.acknowledged.count == 2000)
        // Eight threads appending flat out: some arrive while another commits and ride along in its transaction.
        #expect(outbox.appendCommitCount < 2000, "\(outbox.appendCommitCount) commits for 2000 rows")
        #expect(outbox.appendCommitCount >= 2000 / Outbox.appendsPerTransaction)
        // Under .full each shared transaction is also one fsync.
        #expect(outbox.appendSyncCount == (synchronous == .full ? outbox.appendCommitCount : 0))
        let stored = try outbox.claim(table: "t", now: 1, maxRows: 10_000, maxBytes: 1 << 30).map(\.insertId)
        #expect(Set(stored) == Set(outcomes.acknowledged))
    }

    @Test("in a shared transaction each row gets its own verdict: the cap refuses exactly the rows past it", arguments: bothLanes)
    func groupCommitKeepsPerRowCapVerdicts(synchronous: SQLiteConnection.Synchronous) throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) {
            $0.maxPendingRows = 700
            $0.synchronous = synchronous
        }
        defer { outbox.close() }
        let outcomes = appendConcurrently(outbox, threads: 8, rowsEach: 125)
        #expect(outcomes.failures == [.spoolFull: 300])
        #expect(outcomes.acknowledged.count == 700)
        #expect(outbox.appendCommitCount < 1000, "some rows shared a transaction")
        let stored = try outbox.claim(table: "t", now: 1, maxRows: 10_000, maxBytes: 1 << 30).map(\.insertId)
        #expect(Set(stored) == Set(outcomes.acknowledged))
        #expect(try outbox.pendingTotals().rows == 700)
    }

    @Test("under the dropOldest cap, rows sharing a transaction each evict and insert as one step: all acknowledged, the cap held, the totals exact", arguments: bothLanes)
    func groupCommitEvictsUnderTheCap(synchronous: SQLiteConnection.Synchronous) throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) {
            $0.maxPendingRows = 100
            $0.capPolicy = .dropOldest
            $0.synchronous = synchronous
        }
        defer { outbox.close() }
        let outcomes = appendConcurrently(outbox, threads: 8, rowsEach: 125)
        #expect(outcomes.failures.isEmpty)
        #expect(outcomes.acknowledged.count == 1000)
        #expect(outbox.appendCommitCount < 1000, "some rows shared a transaction")
        #expect(try outbox.pendingTotals().rows == 100)
        #expect(try outbox.status().tables.first?.droppedRows == 900)
        #expect(try outbox.totalsDrift() == [])
        let stored = try outbox.claim(table: "t", now: 1, maxRows: 10_000, maxBytes: 1 << 30).map(\.insertId)
        #expect(stored.count == 100 && Set(stored).isSubset(of: Set(outcomes.acknowledged)))
    }

    @Test("when a shared transaction fails (disk full), every row gets its own outcome and only acknowledged rows are stored", arguments: bothLanes)
    func groupCommitFallsBackRowByRowOnFailure(synchronous: SQLiteConnection.Synchronous) throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) {
            $0.maxDatabaseBytes = 256 * 1024
            $0.synchronous = synchronous
        }
        defer { outbox.close() }
        let outcomes = appendConcurrently(outbox, threads: 8, rowsEach: 400)
        #expect(Set(outcomes.failures.keys) == [.diskFull])
        #expect(outcomes.acknowledged.count + (outcomes.failures[.diskFull] ?? 0) == 3200)
        let stored = try outbox.claim(table: "t", now: 1, maxRows: 10_000, maxBytes: 1 << 30).map(\.insertId)
        #expect(stored.count == outcomes.acknowledged.count)
        #expect(Set(stored) == Set(outcomes.acknowledged))
        #expect(try outbox.check(full: true) == ["ok"])
    }

    @Test("a new .full spool gets 4 KiB pages (its commits carry groups of rows), a .normal one 1 KiB; a file keeps its own")
    func pageSizeFollowsDurabilityAtCreation() throws {
        let directory = try TestDirectory()
        func pageSize(_ name: String, _ synchronous: SQLiteConnection.Synchronous) throws -> String? {
            let path = directory.path(name)
            try openOutbox(path) { $0.synchronous = synchronous }.close()
            return try rawSQLite(path, "PRAGMA page_size").first?.first
        }
        #expect(try pageSize("full.db", .full) == "4096")
        #expect(try pageSize("normal.db", .normal) == "1024")
        #expect(try pageSize("normal.db", .full) == "1024", "reopened as .full, the file keeps its pages")
        #expect(try pageSize("full.db", .normal) == "4096")
    }

    @Test("appends keep flowing while another thread claims and acknowledges")
    func appendsBesideADrainer() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let appended = 3000
        let delivered = Atomic<Int>(0)
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 2) { role in
            if role == 0 {
                for index in 0..<appended {
                    do { _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0) } catch { errors.withLock { $0.append("\(error)") } }
                }
            } else {
                while delivered.load(ordering: .relaxed) < appended {
                    do {
                        let batch = try outbox.claim(table: "t", now: 1, maxRows: 100, maxBytes: 1 << 20)
                        try outbox.apply(BatchResolution(delivered: batch.map(\.id), tableOutcome: .succeeded), table: "t", now: 1)
                        delivered.add(batch.count, ordering: .relaxed)
                    } catch { errors.withLock { $0.append("\(error)") } }
                }
            }
        }
        #expect(errors.withLock { $0 }.isEmpty)
        #expect(delivered.load(ordering: .relaxed) == appended)
        #expect(try outbox.pendingTotals() == (0, 0))
        #expect(try outbox.status().tables.first?.deliveredRows == Int64(appended))
    }

    @Test("the reject cap refuses a row with spoolFull and writes nothing; room comes back after delivery")
    func rejectCapRefusesAndRecovers() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) { $0.maxPendingRows = 5 }
        defer { outbox.close() }
        for index in 0..<5 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        let error = #expect(throws: SpoolError.self) {
            _ = try outbox.append(table: "t", insertId: "over", payload: payload(5), now: 0)
        }
        #expect(error?.code == .spoolFull)
        #expect(error?.message.contains("organic") == false, "no payload in the message")
        #expect(try outbox.pendingTotals().rows == 5)

        let batch = try outbox.claim(table: "t", now: 0, maxRows: 2, maxBytes: 1 << 20)
        try outbox.apply(BatchResolution(delivered: batch.map(\.id)), table: "t", now: 0)
        _ = try outbox.append(table: "t", insertId: "after", payload: payload(6), now: 0)
        #expect(try outbox.pendingTotals().rows == 4)
    }

    @Test("the byte cap counts payload bytes")
    func byteCapCountsPayloadBytes() throws {
        let directory = try TestDirectory()
        let size = Int64(payload(0).utf8.count)
        let outbox = try openOutbox(directory.path("spool.db")) { $0.maxPendingBytes = size * 3 }
        defer { outbox.close() }
        for index in 0..<3 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(0), now: 0)
        }
        #expect(throws: SpoolError.self) { _ = try outbox.append(table: "t", insertId: "x", payload: payload(0), now: 0) }
        #expect(try outbox.pendingTotals() == (3, size * 3))
    }

    @Test("the dropOldest cap evicts the oldest rows, counts them per table, and keeps the newest")
    func dropOldestEvictsAndCounts() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) {
            $0.maxPendingRows = 3
            $0.capPolicy = .dropOldest
        }
        defer { outbox.close() }
        var evicted: [String: Int] = [:]
        for index in 0..<5 {
            evicted.merge(try outbox.append(table: index < 2 ? "old" : "new", insertId: "\(index)", payload: payload(index), now: 0), uniquingKeysWith: +)
        }
        #expect(evicted == ["old": 2], "the evictions count against the table that lost the rows")
        #expect(try outbox.tablesWithRows() == ["new"])
        #expect(try outbox.claim(table: "new", now: 0, maxRows: 10, maxBytes: 1 << 20).map(\.insertId) == ["2", "3", "4"])
        let status = try outbox.status()
        #expect(status.tables.first { $0.table == "old" }?.droppedRows == 2)
        #expect(status.pendingRows == 3)
    }

    @Test("a full disk is a typed diskFull error; the file stays sound and earlier rows stay")
    func diskFullIsTypedAndHarmless() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path) { $0.maxDatabaseBytes = 256 * 1024 }
        var acknowledged: [String] = []
        var failure: SpoolError?
        let big = #"{"blob":""# + String(repeating: "x", count: 3000) + #""}"#
        for index in 0..<1000 {
            do {
                _ = try outbox.append(table: "t", insertId: "\(index)", payload: big, now: 0)
                acknowledged.append("\(index)")
            } catch {
                failure = error
                break
            }
        }
        #expect(failure?.code == .diskFull)
        #expect(!acknowledged.isEmpty)
        #expect(try outbox.check(full: true) == ["ok"])
        #expect(try outbox.claim(table: "t", now: 0, maxRows: 10_000, maxBytes: 1 << 30).map(\.insertId) == acknowledged)
        #expect(try outbox.pendingTotals().rows == Int64(acknowledged.count))
        outbox.close()
    }

    @Test("the lease goes to one holder at a time and passes on after expiry")
    func leaseIsExclusiveUntilExpiry() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        guard case .acquired(let first) = try outbox.acquireLease(holder: "A", now: 1000, ttl: .seconds(10)) else {
            Issue.record("A should get the free lease")
            return
        }
        #expect(first.holder == "A")
        #expect(first.expiresAt == 11_000)
        #expect(try outbox.acquireLease(holder: "B", now: 5000, ttl: .seconds(10)) == .heldByOther(first))
        guard case .acquired(let renewed) = try outbox.acquireLease(holder: "A", now: 6000, ttl: .seconds(10)) else {
            Issue.record("A renews its own lease")
            return
        }
        #expect(renewed.acquiredAt == 1000)
        #expect(renewed.expiresAt == 16_000)
        guard case .acquired(let takeover) = try outbox.acquireLease(holder: "B", now: 16_001, ttl: .seconds(10)) else {
            Issue.record("B takes over an expired lease")
            return
        }
        #expect(takeover.holder == "B")
        #expect(takeover.acquiredAt == 16_001)
        try outbox.releaseLease(holder: "A")
        #expect(try outbox.lease()?.holder == "B", "releasing someone else's lease does nothing")
        try outbox.releaseLease(holder: "B")
        #expect(try outbox.lease() == nil)
    }

    @Test("a paused table shows in status until it is resumed; failures record backoff")
    func pauseBackoffAndResume() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        _ = try outbox.append(table: "t", insertId: "1", payload: payload(1), now: 0)
        try outbox.apply(BatchResolution(tableOutcome: .failed(backoffUntil: 5000, error: "HTTP 503")), table: "t", now: 100)
        var state = try #require(try outbox.tableStates()["t"])
        #expect(state.backoffUntil == 5000)
        #expect(state.consecutiveFailures == 1)
        try outbox.apply(BatchResolution(tableOutcome: .paused(reason: "notFound", error: "Not found: Table p:d.t", recheckAt: 60_000)), table: "t", now: 200)
        state = try #require(try outbox.status().tables.first)
        #expect(state.pausedSince == 200)
        #expect(state.pauseReason == "notFound")
        #expect(state.lastError == "Not found: Table p:d.t")
        #expect(state.pendingRows == 1)
        try outbox.resume(table: "t")
        state = try #require(try outbox.tableStates()["t"])
        #expect(state.pausedSince == nil)
        #expect(state.backoffUntil == nil)
    }

    @Test("requeued dead letters return with their original insert id and append time; purge removes them")
    func requeueAndPurgeDeadLetters() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        for index in 0..<3 {
            _ = try outbox.append(table: "t", insertId: "orig-\(index)", payload: payload(index), now: 1_000_000 + Int64(index))
        }
        let rows = try outbox.claim(table: "t", now: 2_000_000, maxRows: 10, maxBytes: 1 << 20)
        try outbox.apply(BatchResolution(deadLettered: rows.map { .init(id: $0.id, reason: DeadLetterReason(reason: "invalid", location: "x", message: "m")) }), table: "t", now: 2_000_000)
        #expect(try outbox.pendingTotals().rows == 0)
        let letters = try outbox.deadLetters(matching: DeadLetterFilter(table: "t", reason: "invalid"))
        #expect(letters.count == 3)
        #expect(try outbox.deadLetters(matching: DeadLetterFilter(reason: "expired")).isEmpty)
        let first = try #require(letters.last)
        #expect(try outbox.deadLetter(id: first.id) == first)

        #expect(try outbox.requeueDeadLetters(ids: [first.id], now: 3_000_000) == 1)
        let requeued = try outbox.claim(table: "t", now: 3_000_000, maxRows: 10, maxBytes: 1 << 20)
        #expect(requeued.map(\.insertId) == ["orig-0"])
        #expect(requeued.first?.createdAt == 1_000_000)
        #expect(requeued.first?.payload == payload(0))
        #expect(try outbox.pendingTotals().rows == 1)

        #expect(try outbox.purgeDeadLetters(ids: letters.map(\.id)) == 2)
        #expect(try outbox.deadLetters(matching: DeadLetterFilter()).isEmpty)
    }

    @Test("settings round-trip")
    func settingsRoundTrip() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        #expect(try outbox.setting("destination") == nil)
        try outbox.setSetting("destination", to: #"{"project":"p"}"#)
        try outbox.setSetting("destination", to: #"{"project":"q"}"#)
        #expect(try outbox.setting("destination") == #"{"project":"q"}"#)
    }

    @Test("rows survive close and reopen; close twice is fine; use after close is a typed error")
    func reopenAfterClose() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        _ = try outbox.append(table: "t", insertId: "kept", payload: payload(1), now: 0)
        outbox.close()
        outbox.close()
        let error = #expect(throws: SpoolError.self) { _ = try outbox.append(table: "t", insertId: "late", payload: payload(2), now: 0) }
        #expect(error?.code == .closed)
        let reopened = try openOutbox(path)
        defer { reopened.close() }
        #expect(try reopened.claim(table: "t", now: 0, maxRows: 10, maxBytes: 1 << 20).map(\.insertId) == ["kept"])
    }

    @Test("a read-only open sees the data and refuses writes")
    func readOnlyOpen() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let writer = try openOutbox(path)
        defer { writer.close() }
        _ = try writer.append(table: "t", insertId: "1", payload: payload(1), now: 0)
        let reader = try openOutbox(path) { $0.access = .readOnly }
        defer { reader.close() }
        #expect(try reader.status().pendingRows == 1)
        let error = #expect(throws: SpoolError.self) { _ = try reader.append(table: "t", insertId: "2", payload: payload(2), now: 0) }
        #expect(error?.code == .readOnly)
    }

    @Test("the WAL stays bounded under a continuous writer")
    func walStaysBounded() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path) {
            $0.checkpointBytes = 100 * 1024
            $0.walMaxBytes = 400 * 1024
        }
        defer { outbox.close() }
        for index in 0..<20_000 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        // Unbounded, 20,000 commits would leave a WAL of ~60 MB (three 1 KiB frames per commit). Bounded, it stays
        // within a few multiples of the hard limit (checkpoints race the writer, so not exactly at it).
        let wal = try #require(try FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int)
        #expect(wal <= 400 * 1048 * 10, "WAL is \(wal) bytes")
    }

    @Test("the checkpointer runs once per checkpointBytes written, not after every commit past them")
    func checkpointerPacing() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db")) {
            $0.checkpointBytes = 1000 * 1024
            $0.walMaxBytes = 4000 * 1024
        }
        defer { outbox.close() }
        for index in 0..<20_000 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        // 20,000 commits write ~100,000 one-KiB frames (row, index entry, totals, and new pages): about 100 wakes of
        // the checkpointer, plus one a second. Woken by the WAL's size instead, it ran ~750 times.
        let counts = outbox.checkpointCounts
        #expect(counts.background >= 10)
        #expect(counts.background <= 200, "\(counts.background) background checkpoints")
    }
}
