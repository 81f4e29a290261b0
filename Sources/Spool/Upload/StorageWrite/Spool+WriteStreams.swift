extension Spool {
    /// The current Storage Write stream of each event table that has one: its name, next offset, and the rows that
    /// hold offsets in it while they wait for BigQuery's answer (`spoolctl status`). Empty under insertAll.
    public func writeStreams() throws(SpoolError) -> [WriteStreamState] {
        try outbox.writeStreams()
    }
}
