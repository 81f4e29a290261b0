import Foundation
import Spool
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

/// A Storage Write fault scenario's parts: a private emulator (kept on disk) with the seed's user_search_events table
/// in a fresh dataset, a `TCPFaultProxy` in front of its Write API, and a folder for the spool file. Call `stop()`.
final class StorageWriteFaultBench {
    let directory: TemporaryDirectory
    let emulator: Emulator.Instance
    let dataset: String
    let proxy: TCPFaultProxy

    /// - Parameter rowMarker: the common prefix of the event ids the scenario appends (`TCPFaultProxy`'s `rowMarker`).
    init(datasetPrefix: String, rowMarker: String) throws {
        directory = try TemporaryDirectory()
        emulator = try Emulator.Instance(directory: directory)
        dataset = Emulator.uniqueDataset(datasetPrefix)
        do {
            try Emulator.createSeedTables(endpoint: emulator.endpoint, dataset: dataset, tables: ["user_search_events"])
            proxy = try TCPFaultProxy(upstream: emulator.grpcEndpoint, rowMarker: rowMarker)
        } catch {
            emulator.stop()
            throw error
        }
    }

    var spoolPath: String { directory.file("spool.db").path }

    /// The emulator, on the Storage Write API: through the proxy, or straight to its Write API.
    func destination(throughProxy: Bool = true) -> Destination {
        Destination(
            project: Emulator.project, dataset: dataset, endpoint: emulator.endpoint, api: .storageWrite,
            writeEndpoint: throughProxy ? proxy.baseURL : emulator.grpcEndpoint
        )
    }

    /// A spool-torture child that appends to the spool file at `rate` rows a second and uploads them through the
    /// proxy, 100 rows a request, with a 2-second lease; returns once it acknowledged a row.
    func launchTorture(prefix: String, rate: Int = 300) throws -> ChildProcess {
        let child = try ChildProcess.launch(BuiltProducts.path("spool-torture"), [
            "--db", spoolPath, "--prefix", prefix, "--rate", "\(rate)", "--endpoint", emulator.endpoint,
            "--project", Emulator.project, "--dataset", dataset, "--api", "storageWrite", "--write-endpoint", proxy.baseURL,
            "--lease-seconds", "2", "--batch-rows", "100",
        ])
        try child.waitForOutput(containing: "ack \(prefix)-", timeout: .seconds(30))
        return child
    }

    /// The table against what was acknowledged: call only while no uploader writes.
    func tally(acknowledged: Set<String>) throws -> ExactlyOnceTally {
        try ExactlyOnceTally(acknowledged: acknowledged, endpoint: emulator.endpoint, dataset: dataset)
    }

    /// Waits until the emulator has answered every request with rows the proxy relayed, a killed child's too
    /// (`TCPFaultProxy.inFlight`), before anything else talks to it. Seen here: a count query sent right after a
    /// SIGKILL, while the killed child's last append was still being applied, left bqemulator 1.4.0 never answering
    /// another AppendRows on that stream (it applies appends on a gRPC thread, holding the stream's lock, and runs
    /// queries on its event loop, over one DuckDB connection).
    func waitUntilAnswered() throws {
        guard waitUntil(.seconds(15), { proxy.inFlight == 0 }) else {
            throw ScenarioError(message: "the emulator did not answer \(proxy.inFlight) AppendRows requests within 15 s")
        }
    }

    /// `COUNT(*)` and `COUNT(DISTINCT event_id)` of the table: call only while no uploader writes (see `waitUntilAnswered()`).
    func counts() throws -> (rows: Int, distinct: Int) {
        try Emulator.counts(endpoint: emulator.endpoint, dataset: dataset, table: "user_search_events")
    }

    func stop() {
        proxy.stop()
        emulator.stop()
    }
}
