import SpoolSchema
import SpoolStorage

/// Dead letters: rows BigQuery will never accept (or Spool's own verdicts: expired, poison), kept in the spool file
/// with everything needed to understand and replay them.
extension Spool {
    /// Dead letters, newest first.
    public func deadLetters(matching filter: DeadLetterFilter = DeadLetterFilter()) throws(SpoolError) -> [DeadLetter] {
        try outbox.deadLetters(matching: filter)
    }

    /// The dead letter with this id; nil when there is none.
    public func deadLetter(id: Int64) throws(SpoolError) -> DeadLetter? {
        try outbox.deadLetter(id: id)
    }

    /// What `requeueDeadLetters` did.
    public struct RequeueOutcome: Sendable, Equatable {
        /// A dead letter that stays one, and why: the outbox would not deliver it as it is.
        public struct Kept: Sendable, Equatable {
            public var letter: DeadLetter
            /// What `append` refuses (its `SpoolError.Code` as the reason), or the first error BigQuery would
            /// report for the row under its table's schema.
            public var verdict: RowError
        }

        /// Rows moved back to the outbox.
        public var requeued: Int
        /// Rows that stay dead letters, by id.
        public var kept: [Kept]
        /// Tables of rows requeued without a schema check (no schema is configured for them), sorted.
        public var unvalidatedTables: [String]
        /// Ids that named no dead letter by the time they were to move (requeued or purged meanwhile, or never one).
        public var missing: Int
    }

    /// Moves dead letters back to the outbox with their original insert ids and append times, due now.
    ///
    /// Each row is first checked as `append` checks it (a valid table name, one JSON object, within `maxRowBytes`)
    /// and, when a schema is configured for its table, against that schema: a row that fails stays a dead letter
    /// and is returned with its new verdict.
    /// - Parameter destination: where the rows will be delivered; its `ignoreUnknownValues` applies to the schema
    ///   check as it does in the uploader.
    public func requeueDeadLetters(ids: [Int64], destination: Destination? = nil) throws(SpoolError) -> RequeueOutcome {
        let schemas = SchemaPolicy(configuration: configuration, destination: destination)
        let ids = Set(ids).sorted()
        var outcome = RequeueOutcome(requeued: 0, kept: [], unvalidatedTables: [], missing: 0)
        var unvalidated: Set<String> = []
        var movable: [Int64] = []
        for id in ids {
            guard let letter = try outbox.deadLetter(id: id) else { continue }
            // What append itself refuses the outbox would never deliver: checked with or without a schema.
            do throws(SpoolError) {
                try checkRow(letter.payload, table: letter.table)
            } catch {
                let verdict = RowError(reason: error.code.description, location: error.location ?? "", message: error.message)
                outcome.kept.append(RequeueOutcome.Kept(letter: letter, verdict: verdict))
                continue
            }
            guard let validator = schemas.validator(for: letter.table) else {
                unvalidated.insert(letter.table)
                movable.append(id)
                continue
            }
            if let verdict = validator.validate(json: letter.payload) {
                outcome.kept.append(RequeueOutcome.Kept(letter: letter, verdict: verdict))
            } else {
                movable.append(id)
            }
        }
        outcome.requeued = try outbox.requeueDeadLetters(ids: movable, now: configuration.now())
        outcome.unvalidatedTables = unvalidated.sorted()
        outcome.missing = ids.count - outcome.kept.count - outcome.requeued
        return outcome
    }

    /// Deletes dead letters for good. Returns how many were removed (an id that names none is skipped).
    public func purgeDeadLetters(ids: [Int64]) throws(SpoolError) -> Int {
        try outbox.purgeDeadLetters(ids: ids)
    }
}
