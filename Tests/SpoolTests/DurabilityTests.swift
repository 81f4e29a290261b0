import Foundation
import Spool
import SpoolTestSupport
import Synchronization
import Testing

/// Which appends are fsynced: `.full`, `.normal`, and `.full` for some tables only. (That what is fsynced survives a
/// power cut is ReliabilityTests' PowerLossTests.)
@Suite("Durability")
struct DurabilityTests {
    @Test("a .normal spool with fullDurabilityTables fsyncs the commits that hold their rows, and only those")
    func fullDurabilityTablesAreFsyncedAlone() throws {
        let directory = try TemporaryDirectory()
        let spool = try ordersFullSpool(directory)
        defer { spool.close() }
        for index in 0..<5 {
            try spool.append(json: #"{"n":\#(index)}"#, to: "user_search_events")
        }
        #expect(spool.outbox.appendSyncCount == 0)
        try spool.append(json: #"{"order":1}"#, to: "order_transaction_events")
        #expect(spool.outbox.appendSyncCount == 1)
        try spool.append(json: #"{"n":5}"#, to: "user_search_events")
        #expect(spool.outbox.appendSyncCount == 1)
    }

    /// A `.normal` spool in `directory` whose `order_transaction_events` are `.full`.
    private func ordersFullSpool(_ directory: TemporaryDirectory) throws -> Spool {
        var configuration = Spool.Configuration()
        configuration.fullDurabilityTables = ["order_transaction_events"]
        return try Spool(path: directory.file("spool.db").path, configuration: configuration)
    }

    /// A `.full` spool in `directory`.
    private func fullSpool(_ directory: TemporaryDirectory, _ name: String) throws -> Spool {
        var configuration = Spool.Configuration()
        configuration.durability = .full
        return try Spool(path: directory.file(name).path, configuration: configuration)
    }

    @Test("a .full spool fsyncs every lone append; a .normal one none")
    func fullSpoolFsyncsEveryAppend() throws {
        let directory = try TemporaryDirectory()
        let durable = try fullSpool(directory, "full.db")
        defer { durable.close() }
        let normal = try Spool(path: directory.file("normal.db").path)
        defer { normal.close() }
        for index in 0..<4 {
            try durable.append(json: #"{"n":\#(index)}"#, to: "user_search_events")
            try normal.append(json: #"{"n":\#(index)}"#, to: "user_search_events")
        }
        #expect(durable.outbox.appendSyncCount == 4)
        #expect(normal.outbox.appendSyncCount == 0)
    }

    @Test("concurrent .full appends share fsyncs, and each returns its own row's insert id")
    func concurrentFullAppendsShareFsyncs() throws {
        let directory = try TemporaryDirectory()
        let spool = try fullSpool(directory, "spool.db")
        defer { spool.close() }
        let returned = Mutex<[String]>([])
        let done = DispatchGroup()
        for thread in 0..<8 {
            done.enter()
            Thread {
                for index in 0..<40 {
                    if let id = try? spool.append(json: #"{"n":\#(index)}"#, to: "user_search_events", insertId: "t\(thread)-\(index)") {
                        returned.withLock { $0.append(id) }
                    }
                }
                done.leave()
            }.start()
        }
        done.wait()
        let ids = returned.withLock { $0 }
        #expect(Set(ids) == Set((0..<8).flatMap { thread in (0..<40).map { "t\(thread)-\($0)" } }))
        #expect(spool.outbox.appendSyncCount < 320, "8 threads × 40 appends took \(spool.outbox.appendSyncCount) fsyncs")
        let rows = try spool.outbox.claim(table: "user_search_events", now: Int64.max, maxRows: 1000, maxBytes: 1 << 24)
        #expect(rows.count == 320)
    }

    @Test("concurrent .full appends commit one transaction per fsync, while rows of .normal tables beside them are never fsynced")
    func fullGroupsCommitOnceAndNormalRowsSkipTheFsync() throws {
        let directory = try TemporaryDirectory()
        let spool = try ordersFullSpool(directory)
        defer { spool.close() }
        #expect(appendConcurrently(spool, threads: 8, rowsEach: 40, to: "order_transaction_events") == 0)
        // Each group of .full rows is one transaction and one fsync, however many rows it carries.
        #expect(spool.outbox.appendCommitCount == spool.outbox.appendSyncCount)
        #expect(spool.outbox.appendSyncCount < 320, "8 threads × 40 appends took \(spool.outbox.appendSyncCount) fsyncs")
        let syncs = spool.outbox.appendSyncCount
        #expect(appendConcurrently(spool, threads: 4, rowsEach: 40, to: "user_search_events") == 0)
        #expect(spool.outbox.appendSyncCount == syncs)
        let orders = try spool.outbox.claim(table: "order_transaction_events", now: Int64.max, maxRows: 1000, maxBytes: 1 << 24)
        let searches = try spool.outbox.claim(table: "user_search_events", now: Int64.max, maxRows: 1000, maxBytes: 1 << 24)
        #expect(orders.count == 320)
        #expect(searches.count == 160)
    }

    /// `rowsEach` appends to `table` from each of `threads` threads at once; returns how many failed.
    private func appendConcurrently(_ spool: Spool, threads: Int, rowsEach: Int, to table: String) -> Int {
        let failures = Atomic<Int>(0)
        let done = DispatchGroup()
        for thread in 0..<threads {
            done.enter()
            Thread {
                for index in 0..<rowsEach {
                    if (try? spool.append(json: #"{"n":\#(index)}"#, to: table, insertId: "\(table)-\(thread)-\(index)")) == nil {
                        failures.add(1, ordering: .relaxed)
                    }
                }
                done.leave()
            }.start()
        }
        done.wait()
        return failures.load(ordering: .relaxed)
    }

    @Test("fullDurabilityTables: the configuration file's spool.fullDurabilityTables, and a bad table name refused")
    func fullDurabilityTablesFromTheFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("spool.json").path
        try Data(#"{"spool": {"durability": "normal", "fullDurabilityTables": ["order_transaction_events", "payment_events"]}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let file = try SpoolConfigurationFile.load(path: path, environment: [:])
        #expect(file.spool.durability == .normal)
        #expect(file.spool.fullDurabilityTables == ["order_transaction_events", "payment_events"])

        try Data(#"{"spool": {"fullDurabilityTables": ["analytics.orders"]}}"#.utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SpoolError.self) { _ = try SpoolConfigurationFile.load(path: path, environment: [:]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("fullDurabilityTables") == true)
    }
}
