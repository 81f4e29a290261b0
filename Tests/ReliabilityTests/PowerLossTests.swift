import CPowerLossVFS
import CSQLite
import Foundation
import Spool
import SpoolTestSupport
import Synchronization
import Testing

extension Reliability {
    /// More than a process kill: the spool runs on a VFS that keeps only what an fsync covered (Tests/CPowerLossVFS),
    /// the power is cut while threads append, and the file is read back as a reboot would find it.
    @Suite("power loss while appending", .serialized)
    struct PowerLossTests {
        @Test("every append acknowledged under .full survives a power cut mid-append, and the file is never corrupt")
        func fullAppendsSurvivePowerCuts() throws {
            for round in 0..<4 {
                let cut = try PowerCut.run(durability: .full, threads: 4, cutAfterMilliseconds: 20 + 90 * round) { _, _ in "user_search_events" }
                print("power cut, .full, round \(round): \(cut.acknowledged.count) acknowledged, \(cut.recovered.count) recovered")
                #expect(cut.integrity == ["ok"])
                #expect(cut.acknowledged.count > 0)
                #expect(cut.lostFullRows.isEmpty, "round \(round): lost e.g. \(cut.lostFullRows.prefix(5))")
                #expect(cut.recoveredAreAPrefix, "round \(round): the recovered rows are not a prefix of the commits")
                #expect(cut.unknownRecovered.isEmpty)
            }
        }

        @Test("a power cut loses .normal appends no fsync covered: the simulation really drops writes")
        func normalAppendsWithoutSyncAreLost() throws {
            // No checkpoint within the run (it would sync the WAL): what was appended is in no fsync's reach.
            let cut = try PowerCut.run(durability: .normal, threads: 1, cutAfterMilliseconds: 50, checkpointBytes: 64 << 20) { _, _ in
                "user_search_events"
            }
            #expect(cut.acknowledged.count > 0)
            #expect(cut.recovered.count < cut.acknowledged.count)
            #expect(cut.integrity == ["ok"])
            #expect(cut.recoveredAreAPrefix)
        }

        @Test("with fullDurabilityTables, every acknowledged order survives a power cut, and so does every row appended before it")
        func fullDurabilityTablesSurvivePowerCuts() throws {
            for round in 0..<4 {
                let cut = try PowerCut.run(
                    durability: .normal, fullTables: ["order_transaction_events"], threads: 3, cutAfterMilliseconds: 20 + 90 * round
                ) { thread, index in
                    thread == 0 && index % 4 == 3 ? "order_transaction_events" : "user_search_events"
                }
                print("power cut, full orders, round \(round): \(cut.acknowledged.count) acknowledged, \(cut.recovered.count) recovered")
                #expect(cut.integrity == ["ok"])
                #expect(cut.acknowledged.contains { $0.table == "order_transaction_events" }, "round \(round): no order was acknowledged")
                #expect(cut.lostFullRows.isEmpty, "round \(round): lost e.g. \(cut.lostFullRows.prefix(5))")
                #expect(cut.lostBeforeAFullRow.isEmpty, "round \(round): lost e.g. \(cut.lostBeforeAFullRow.prefix(5))")
                #expect(cut.recoveredAreAPrefix, "round \(round): the recovered rows are not a prefix of the commits")
                #expect(cut.unknownRecovered.isEmpty)
            }
        }
    }
}

/// Threads append until the power is cut; then the file is restored to what survived and read back.
enum PowerCut {
    struct Row: Hashable, Sendable {
        var thread: Int
        var index: Int
        var table: String
        var insertId: String { "t\(thread)-\(index)" }
    }

    struct Outcome {
        var acknowledged: [Row]
        var attempted: Set<String>
        var fullTables: Set<String>
        /// Insert ids in outbox id order, and whether the ids run 1, 2, 3, … without a gap.
        var recovered: [String]
        var recoveredAreAPrefix: Bool
        var integrity: [String]

        /// Acknowledged rows of a `.full` table that did not survive.
        var lostFullRows: [String] {
            let present = Set(recovered)
            return acknowledged.filter { fullTables.contains($0.table) && !present.contains($0.insertId) }.map(\.insertId)
        }

        /// Acknowledged rows that a later acknowledged `.full` row of the same thread should have made durable.
        var lostBeforeAFullRow: [String] {
            let present = Set(recovered)
            var lost: [String] = []
            for thread in Set(acknowledged.map(\.thread)) {
                let rows = acknowledged.filter { $0.thread == thread }
                guard let lastFull = rows.filter({ fullTables.contains($0.table) }).map(\.index).max() else { continue }
                lost += rows.filter { $0.index < lastFull && !present.contains($0.insertId) }.map(\.insertId)
            }
            return lost
        }

        /// Recovered rows nobody appended: garbage from a torn write.
        var unknownRecovered: [String] { recovered.filter { !attempted.contains($0) } }
    }

    static func run(
        durability: Spool.Durability, fullTables: Set<String> = [], threads: Int, cutAfterMilliseconds: Int, checkpointBytes: Int64 = 64 << 10,
        table: @escaping @Sendable (_ thread: Int, _ index: Int) -> String
    ) throws -> Outcome {
        let name = "spool-powerloss-\(UUID().uuidString.prefix(8))"
        guard let vfs = spool_powerloss_vfs_create(name) else { throw ScenarioError(message: "cannot register the VFS \(name)") }
        defer { spool_powerloss_vfs_destroy(vfs) }
        let directory = try TemporaryDirectory()
        let path = directory.file("spool.db").path

        var configuration = Spool.Configuration()
        configuration.durability = durability
        configuration.fullDurabilityTables = fullTables
        // By default checkpoints and WAL restarts every few dozen appends: the cut also lands in their syncs.
        configuration.checkpointBytes = checkpointBytes
        configuration.walMaxBytes = 2 * checkpointBytes
        configuration.vfs = name
        let spool = try Spool(path: path, configuration: configuration)

        let acknowledged = Mutex<[Row]>([])
        let attempted = Mutex<Set<String>>([])
        let powered = Atomic<Bool>(true)
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                var index = 0
                while powered.load(ordering: .acquiring) {
                    let row = Row(thread: thread, index: index, table: table(thread, index))
                    attempted.withLock { _ = $0.insert(row.insertId) }
                    guard (try? spool.append(json: #"{"n":\#(index),"thread":\#(thread)}"#, to: row.table, insertId: row.insertId)) != nil else { break }
                    acknowledged.withLock { $0.append(row) }
                    index += 1
                }
                done.leave()
            }.start()
        }
        // The clock starts once a row that must survive is acknowledged (a loaded machine may take a while).
        let mustSurvive = durability == .full || fullTables.isEmpty ? nil : fullTables
        _ = waitUntil(.seconds(30), pollEvery: .milliseconds(1)) {
            acknowledged.withLock { rows in rows.contains { mustSurvive?.contains($0.table) ?? true } }
        }
        Thread.sleep(forTimeInterval: Double(cutAfterMilliseconds) / 1000)
        spool_powerloss_vfs_cut(vfs)
        powered.store(false, ordering: .releasing)
        done.wait()
        spool.close()
        let restored = spool_powerloss_vfs_restore(vfs)
        guard restored == 0 else { throw ScenarioError(message: "restoring the durable images failed: errno \(restored)") }

        let (recovered, integrity) = try readBack(path)
        let ids = recovered.map(\.id)
        return Outcome(
            acknowledged: acknowledged.withLock { $0 }, attempted: attempted.withLock { $0 },
            fullTables: durability == .full ? Set(acknowledged.withLock { $0 }.map(\.table)) : fullTables,
            recovered: recovered.map(\.insertId), recoveredAreAPrefix: ids == Array(0..<Int64(ids.count)).map { $0 + 1 },
            integrity: integrity
        )
    }

    /// What a reboot finds, read with the plain SQLite library: the integrity check, then the outbox (empty when not
    /// even its creation was synced).
    private static func readBack(_ path: String) throws -> (rows: [(id: Int64, insertId: String)], integrity: [String]) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK, let handle else {
            throw ScenarioError(message: "cannot open the restored file")
        }
        defer { sqlite3_close_v2(handle) }
        func query(_ sql: String, _ row: (OpaquePointer) -> Void) throws {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK, let statement else {
                throw ScenarioError(message: "\(sql): \(String(cString: sqlite3_errmsg(handle)))")
            }
            defer { sqlite3_finalize(statement) }
            while sqlite3_step(statement) == SQLITE_ROW { row(statement) }
        }
        var integrity: [String] = []
        try query("PRAGMA integrity_check") { integrity.append(String(cString: sqlite3_column_text($0, 0))) }
        var hasOutbox = false
        try query("SELECT 1 FROM sqlite_master WHERE name = 'outbox'") { _ in hasOutbox = true }
        var rows: [(id: Int64, insertId: String)] = []
        if hasOutbox {
            try query("SELECT id, insert_id FROM outbox ORDER BY id") { rows.append((sqlite3_column_int64($0, 0), String(cString: sqlite3_column_text($0, 1)))) }
        }
        return (rows, integrity)
    }
}
