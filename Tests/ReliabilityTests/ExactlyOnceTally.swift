import Foundation
import SpoolTestSupport

/// What became of the rows a Storage Write scenario acknowledged, counted from the table itself: the figures the
/// exactly-once tests check and scripts/soak sums under `"storage_write"`.
struct ExactlyOnceTally: CustomStringConvertible {
    var appended = 0
    /// Acknowledged rows found in the table.
    var delivered = 0
    /// `COUNT(*) - COUNT(DISTINCT event_id)`: rows the table holds more than once.
    var duplicated = 0
    /// Acknowledged rows not in the table.
    var lost = 0
    var lostExamples: [String] = []
    /// `COUNT(*)` and `COUNT(DISTINCT event_id)` as the emulator's query API answered them.
    var rows = 0
    var distinct = 0
    /// Rows in the table that no `ack` line announced: appended by a child killed before it could print the line.
    var unannounced = 0

    /// Reads the table (`dataset.table` on the emulator at `endpoint`): call only while no uploader writes to it (the
    /// emulator can hang when its Write API and REST queries run at once).
    init(acknowledged: Set<String>, endpoint: String, dataset: String, table: String = "user_search_events") throws {
        let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: table)
        (rows, distinct) = try Emulator.counts(endpoint: endpoint, dataset: dataset, table: table)
        let storedSet = Set(stored)
        appended = acknowledged.count
        delivered = acknowledged.intersection(storedSet).count
        duplicated = rows - distinct
        let missing = acknowledged.subtracting(storedSet)
        lost = missing.count
        lostExamples = Array(missing.sorted().prefix(5))
        unannounced = storedSet.subtracting(acknowledged).count
    }

    var json: String {
        #"{"appended":\#(appended),"delivered":\#(delivered),"duplicated":\#(duplicated),"lost":\#(lost)}"#
    }

    var description: String { "\(json) rows=\(rows) distinct=\(distinct) unannounced=\(unannounced)" }

    /// Prints the figures on one line that scripts/soak sums: `storage-write-tally <scenario> {json}`.
    func report(_ scenario: String) {
        print("storage-write-tally \(scenario) \(json)")
    }
}

/// A spool-torture child that appends `user_search_events` and uploads them through the Storage Write API at
/// `writeEndpoint` (tables and schemas from the emulator's REST `endpoint`), 100 rows a request, with a 2-second lease.
func launchStorageWriteTorture(
    db: String, prefix: String, rate: Int, endpoint: String, writeEndpoint: String, dataset: String
) throws -> ChildProcess {
    try ChildProcess.launch(BuiltProducts.path("spool-torture"), [
        "--db", db, "--prefix", prefix, "--rate", "\(rate)", "--endpoint", endpoint, "--project", Emulator.project,
        "--dataset", dataset, "--api", "storageWrite", "--write-endpoint", writeEndpoint, "--lease-seconds", "2",
        "--batch-rows", "100",
    ])
}
