import Foundation
import Testing
@testable import SpoolStorage

/// The per-table bookkeeping of migrations/0004_per_table_totals.sql: what status, the gauges and the cap read
/// instead of counting the outbox.
@Suite("Running totals")
struct RunningTotalsTests {
    /// Pending rows and bytes per table, counted from the rows as an operator would with the sqlite3 CLI.
    private func counted(_ path: String) throws -> [String: (rows: Int, bytes: Int64)] {
        let rows = try rawSQLite(path, "SELECT table_name, count(*), sum(payload_bytes) FROM outbox GROUP BY table_name")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0], (Int($0[1]) ?? -1, Int64($0[2]) ?? -1)) })
    }

    /// Status agrees with a recount of the rows, per table and in total, and the bookkeeping has no drift.
    private func expectExact(_ outbox: Outbox, _ path: String, _ step: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let status = try outbox.status()
        let truth = try counted(path)
        let shown = Dictionary(uniqueKeysWithValues: status.tables.filter { $0.pendingRows > 0 }.map { ($0.table, ($0.pendingRows, $0.pendingBytes)) })
        #expect(shown.keys.sorted() == truth.keys.sorted(), "\(step): tables", sourceLocation: sourceLocation)
        for (table, figures) in truth {
            #expect(shown[table]?.0 == figures.rows && shown[table]?.1 == figures.bytes, "\(step): \(table)", sourceLocation: sourceLocation)
        }
        #expect(status.pendingRows == truth.values.reduce(0) { $0 + $1.rows }, "\(step): total rows", sourceLocation: sourceLocation)
        #expect(status.pendingBytes == truth.values.reduce(0) { $0 + $1.bytes }, "\(step): total bytes", sourceLocation: sourceLocation)
        let letters = try rawSQLite(path, "SELECT count(*) FROM dead_letters")
        #expect(String(status.deadLetterRows) == letters.first?.first, "\(step): dead letters", sourceLocation: sourceLocation)
        #expect(try outbox.totalsDrift() == [], "\(step): drift", sourceLocation: sourceLocation)
    }

    @Test("totals stay exact per table through append, deliver, dead-letter, retry, evict, requeue and purge")
    func totalsStayExactThroughEveryChange() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path) {
            $0.maxPendingRows = 40
            $0.capPolicy = .dropOldest
        }
        defer { outbox.close() }
        let tables = ["a", "b", "c"]
        for index in 0..<30 {
            _ = try outbox.append(table: tables[index % 3], insertId: "i\(index)", payload: payload(index), now: 1_000 + Int64(index))
        }
        try expectExact(outbox, path, "appended")
        #expect(try outbox.status().tables.map(\.oldestCreatedAt) == [1_000, 1_001, 1_002])

        let batch = try outbox.claim(table: "a", now: 5_000, maxRows: 6, maxBytes: 1 << 20)
        var resolution = BatchResolution(tableOutcome: .succeeded)
        resolution.delivered = batch.prefix(2).map(\.id)
        resolution.deadLettered = batch[2..<4].map { .init(id: $0.id, reason: DeadLetterReason(reason: "invalid", message: "m")) }
        resolution.retried = batch.suffix(2).map { .init(id: $0.id, notBefore: 90_000, error: "backendError") }
        try outbox.apply(resolution, table: "a", now: 5_000)
        try expectExact(outbox, path, "delivered, dead-lettered, retried")
        var tableA = try #require(try outbox.status().tables.first { $0.table == "a" })
        #expect(tableA.pendingRows == 6)
        #expect(tableA.maxAttempts == 1)
        #expect(tableA.nextAttemptAt == 1_012, "rows never tried are due since they were written")
        #expect(tableA.deadLetters == ["invalid": 2])

        // Only retried rows left in "a": the next try is theirs.
        let rest = try outbox.claim(table: "a", now: 5_000, maxRows: 100, maxBytes: 1 << 20)
        try outbox.apply(BatchResolution(delivered: rest.map(\.id), tableOutcome: .succeeded), table: "a", now: 5_000)
        tableA = try #require(try outbox.status().tables.first { $0.table == "a" })
        #expect(tableA.pendingRows == 2)
        #expect(tableA.nextAttemptAt == 90_000)
        #expect(tableA.maxAttempts == 1)
        try expectExact(outbox, path, "only retries left")

        // 22 pending; 25 more appends to "c" pass the 40-row cap and evict the oldest rows of every table.
        for index in 0..<25 {
            _ = try outbox.append(table: "c", insertId: "more\(index)", payload: payload(index + 100), now: 6_000)
        }
        try expectExact(outbox, path, "evicted")
        #expect(try outbox.status().pendingRows == 40)
        #expect(try outbox.tableStates().values.reduce(0) { $0 + $1.droppedRows } == 7)

        let letters = try outbox.deadLetters(matching: DeadLetterFilter())
        #expect(try outbox.requeueDeadLetters(ids: [letters[0].id], now: 7_000) == 1)
        try expectExact(outbox, path, "requeued")
        #expect(try outbox.purgeDeadLetters(ids: [letters[1].id]) == 1)
        try expectExact(outbox, path, "purged")
        #expect(try outbox.status().deadLetterRows == 0)
        #expect(try outbox.status().tables.first { $0.table == "a" }?.deadLetters.isEmpty == true)
    }

    @Test("rows deleted and dead letters inserted by hand with SQL keep the totals exact (triggers, not Swift code)")
    func handEditsKeepTheTotalsExact() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        for index in 0..<10 {
            _ = try outbox.append(table: index < 6 ? "a" : "b", insertId: "i\(index)", payload: payload(index), now: 1)
        }
        _ = try rawSQLite(path, """
            DELETE FROM outbox WHERE insert_id IN ('i0', 'i7');
            INSERT INTO dead_letters (table_name, insert_id, payload, reason, attempts, created_at, dead_lettered_at)
            VALUES ('b', 'x', '{}', 'poison', 3, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:01.000Z');
            """)
        try expectExact(outbox, path, "after hand edits")
        let tableB = try #require(try outbox.status().tables.first { $0.table == "b" })
        #expect(tableB.pendingRows == 3)
        #expect(tableB.deadLetters == ["poison": 1])
        #expect(tableB.newestDeadLetterAt == "2026-11-26T10:00:01.000Z")
    }

    @Test("corrupted totals are found by a recount, repaired in place, and status is right again")
    func corruptedTotalsAreFoundAndRepaired() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        defer { outbox.close() }
        for index in 0..<8 {
            _ = try outbox.append(table: index % 2 == 0 ? "a" : "b", insertId: "i\(index)", payload: payload(index), now: 1)
        }
        let batch = try outbox.claim(table: "a", now: 1, maxRows: 1, maxBytes: 1 << 20)
        try outbox.apply(BatchResolution(deadLettered: [.init(id: batch[0].id, reason: DeadLetterReason(reason: "invalid", message: "m"))]), table: "a", now: 1)
        try expectExact(outbox, path, "before")

        _ = try rawSQLite(path, """
            UPDATE pending_by_table SET pending_rows = 999, pending_bytes = 5 WHERE table_name = 'a';
            DELETE FROM pending_by_table WHERE table_name = 'b';
            UPDATE dead_letter_counts SET letters = 7;
            """)
        #expect(try outbox.status().pendingRows == 999, "status reads the bookkeeping, not the rows")
        let drift = try outbox.totalsDrift()
        let bytesA = Int64((2..<8).filter { $0 % 2 == 0 }.reduce(0) { $0 + payload($1).utf8.count })
        let bytesB = Int64((0..<8).filter { $0 % 2 == 1 }.reduce(0) { $0 + payload($1).utf8.count })
        #expect(drift == [
            TotalsDrift(table: "a", figure: "pending rows", recorded: 999, counted: 3),
            TotalsDrift(table: "a", figure: "pending bytes", recorded: 5, counted: bytesA),
            TotalsDrift(table: "b", figure: "pending rows", recorded: 0, counted: 4),
            TotalsDrift(table: "b", figure: "pending bytes", recorded: 0, counted: bytesB),
            TotalsDrift(table: "a", figure: "dead letters (invalid)", recorded: 7, counted: 1),
        ])

        #expect(try outbox.repairTotals() == drift)
        try expectExact(outbox, path, "repaired")
        #expect(try outbox.repairTotals() == [], "a second repair finds nothing")
        _ = try outbox.append(table: "b", insertId: "after", payload: payload(9), now: 2)
        try expectExact(outbox, path, "appended after the repair")
    }

    @Test("a version-3 file's rows, retries and dead letters fill the per-table totals when it is migrated")
    func migrationFillsTheTotalsFromAVersionThreeFile() throws {
        let directory = try TestDirectory()
        let path = directory.path("v3.db")
        try spoolFile(path, atVersion: 3)
        _ = try rawSQLite(path, """
            INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at, attempts)
            VALUES ('a', 'a1', '{"n":1}', 7, 100, 100, 0), ('b', 'b1', '{"n":22}', 8, 200, 9000, 4),
                   ('a', 'a2', '{"n":333}', 9, 300, 5000, 2), ('b', 'b2', '{"n":4}', 7, 400, 400, 0);
            INSERT INTO dead_letters (table_name, insert_id, payload, reason, attempts, created_at, dead_lettered_at)
            VALUES ('a', 'd1', '{}', 'invalid', 1, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:01.000Z'),
                   ('a', 'd2', '{}', 'invalid', 1, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:05.000Z'),
                   ('c', 'd3', '{}', 'expired', 1, '2026-11-26T10:00:00.000Z', '2026-11-26T10:00:02.000Z');
            """)
        #expect(try rawSQLite(path, "SELECT pending_rows, pending_bytes FROM pending_totals") == [["4", "31"]])

        let outbox = try openOutbox(path)
        defer { outbox.close() }
        #expect(try rawSQLite(path, "PRAGMA user_version") == [["\(Migrator.latestVersion)"]])
        #expect(try rawSQLite(path, "SELECT * FROM pending_by_table ORDER BY table_name") == [["a", "2", "16", "1"], ["b", "2", "15", "1"]])
        try expectExact(outbox, path, "migrated")
        let status = try outbox.status()
        #expect(status.tables.map(\.table) == ["a", "b", "c"])
        #expect(status.tables.map(\.pendingRows) == [2, 2, 0])
        #expect(status.tables.map(\.maxAttempts) == [2, 4, 0])
        #expect(status.tables.map(\.oldestCreatedAt) == [100, 200, nil])
        #expect(status.tables[1].nextAttemptAt == 200, "b2 was never tried: due since it was written")
        #expect(status.tables[0].deadLetters == ["invalid": 2])
        #expect(status.tables[0].newestDeadLetterAt == "2026-11-26T10:00:05.000Z")
        #expect(status.tables[2].deadLetters == ["expired": 1])
        #expect(status.deadLetterRows == 3)
        #expect(try outbox.pendingTotals() == (4, 31))
    }

    @Test("the cap counts every table's rows: appends to three tables stop at the cap together")
    func capSumsEveryTable() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let size = Int64(payload(0).utf8.count)
        let outbox = try openOutbox(path) {
            $0.maxPendingRows = 10
            $0.maxPendingBytes = size * 8
        }
        defer { outbox.close() }
        var refused = 0
        for index in 0..<12 {
            do throws(SpoolError) {
                _ = try outbox.append(table: ["a", "b", "c"][index % 3], insertId: "i\(index)", payload: payload(0), now: 1)
            } catch {
                #expect(error.code == .spoolFull)
                refused += 1
            }
        }
        #expect(refused == 4, "the byte cap (8 rows' worth) binds before the row cap")
        #expect(try outbox.pendingTotals() == (8, size * 8))
        try expectExact(outbox, path, "at the cap")
    }

    @Test("status reads the bookkeeping through indexes: no statement scans the outbox or dead_letters")
    func statusQueriesUseIndexes() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        _ = try outbox.append(table: "a", insertId: "i", payload: payload(0), now: 1)
        outbox.close()
        for sql in [SQL.pendingByTable, SQL.deadLettersByReason, SQL.append, SQL.totals] {
            let plan = try rawSQLite(path, "EXPLAIN QUERY PLAN " + sql.replacingOccurrences(of: #"\?\d"#, with: "1", options: .regularExpression))
                .map { $0.last ?? "" }
            #expect(!plan.contains { $0.hasPrefix("SCAN outbox") || $0.hasPrefix("SCAN o") || $0.hasPrefix("SCAN d") || $0.hasPrefix("SCAN dead_letters") }, "\(plan)")
            #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        }
    }
}
