import ArgumentParser
import Foundation
import Spool

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show what waits in the spool, what failed, and who drains it.")

    @Option(name: .long, help: "The spool file.")
    var db: String

    func run() throws {
        var configuration = Spool.Configuration()
        configuration.readOnly = true
        let spool = try Spool(path: db, configuration: configuration)
        defer { spool.close() }
        let status = try spool.status()
        print("pending rows: \(status.pendingRows), dead letters: \(status.deadLetterRows)")
        for table in status.tables {
            print("\(table.table): \(table.pendingRows) pending, \(table.deliveredRows) delivered\(table.isPaused ? ", paused (\(table.pauseReason ?? ""))" : "")")
        }
    }
}
