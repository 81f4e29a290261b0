import Spool
import SpoolTestSupport

extension BigQueryStub {
    /// The event ids the stub stored for a table, in arrival order.
    func storedEventIds(dataset: String, table: String) -> [String] {
        storedRows(dataset: dataset, table: table).compactMap { row in
            (try? JSONParser.parse(row.json))?.objectValue?["event_id"]?.stringValue
        }
    }
}
