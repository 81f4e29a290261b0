import BigQueryREST
import SpoolStorage

/// Delivers batches with BigQuery's `tabledata.insertAll`: one POST per batch, each row with its stable insert id
/// (BigQuery's best-effort de-duplication), the answer read by `InsertAllAnswers`.
struct InsertAllTransport: DeliveryTransport {
    let client: BigQueryClient
    let destination: Destination
    /// insertAll's flag, from the spool's schema policy, so BigQuery judges rows as the local validator does.
    let ignoreUnknownValues: Bool

    /// `parsed` is not needed: the payloads go as they were appended.
    func send(_ rows: ArraySlice<OutboxRow>, parsed: [JSONValue]?, to table: String) -> TransportOutcome {
        let target = destination.target(for: table)
        let result = client.insertAll(
            dataset: target.dataset, table: target.table,
            rows: rows.map { InsertAllRow(insertId: $0.insertId, json: $0.payload) },
            ignoreUnknownValues: ignoreUnknownValues
        )
        return InsertAllAnswers.outcome(of: result, rowCount: rows.count)
    }
}
