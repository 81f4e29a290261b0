import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// The per-table running totals and the cap they enforce, with several processes appending to one file at once.
    @Suite("Running totals across processes")
    struct RunningTotalsProcessTests {
        @Test("three processes appending to three tables under one cap: the cap holds exactly and every table's totals match its rows")
        func capAndTotalsHoldAcrossProcesses() throws {
            let directory = try TemporaryDirectory()
            let path = directory.file("spool.db").path
            try Spool(path: path).close()
            let tables = ["user_search_events", "cart_modification_events", "order_transaction_events"]
            let cap = 1_500
            let appenders = try tables.enumerated().map { number, table in
                try ChildProcess.launch(BuiltProducts.path("spool-torture"), [
                    "--db", path, "--table", table, "--prefix", "p\(number)", "--rate", "2000", "--count", "800",
                    "--max-pending-rows", "\(cap)",
                ])
            }
            var acknowledged: [String: Int] = [:]
            var refused = 0
            for (appender, table) in zip(appenders, tables) {
                let output = appender.waitForExit()
                #expect(appender.exitCode == 0, "appender failed: \(appender.standardError.suffix(300))")
                acknowledged[table] = acknowledgedIds(in: output).count
                let failures = output.split(separator: "\n").filter { $0.hasPrefix("fail ") }
                #expect(failures.allSatisfy { $0.hasSuffix(" spoolFull") }, "only the cap refused appends: \(failures.prefix(3))")
                refused += failures.count
            }
            #expect(acknowledged.values.reduce(0, +) == cap, "exactly the cap was acknowledged")
            #expect(refused == 3 * 800 - cap)

            let spool = try Spool(path: path)
            defer { spool.close() }
            let status = try spool.status()
            #expect(status.pendingRows == cap)
            for table in tables {
                #expect(status.tables.first { $0.table == table }?.pendingRows == acknowledged[table], "\(table)")
            }
            #expect(try spool.totalsDrift() == [], "the bookkeeping equals a recount of the rows")
        }
    }
}
