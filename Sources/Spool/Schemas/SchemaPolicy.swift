import SpoolSchema

/// How a spool judges rows against table schemas, the one place that says so: strict `append`, the uploader's local
/// verdicts, `requeueDeadLetters` and `spoolctl schema check` all judge with it, so they cannot disagree about a row.
///
/// It owns a validator per event table, the rule for BigQuery's `ignoreUnknownValues`, and the switch to the remote
/// schema when BigQuery's table has drifted from the local file (checked once per table and uploader run).
public struct SchemaPolicy: Sendable {
    /// Whether fields a schema does not have are dropped (true) or make the row invalid.
    public let ignoreUnknownValues: Bool
    private let localSchemas: [String: TableSchema]
    private var validators: [String: RowValidator]
    /// Tables whose remote schema was already compared with the local one.
    private var remoteChecked: Set<String> = []

    /// The rule: unknown fields are dropped when the spool's configuration or its destination says so. The
    /// uploader sends the same value to BigQuery, so that BigQuery judges rows as the local validator does.
    package static func ignoresUnknownValues(spool: Spool.Configuration, destination: Destination?) -> Bool {
        spool.ignoreUnknownValues || (destination?.ignoreUnknownValues ?? false)
    }

    package init(schemas: [String: TableSchema], ignoreUnknownValues: Bool) {
        self.ignoreUnknownValues = ignoreUnknownValues
        self.localSchemas = schemas
        self.validators = schemas.mapValues { Self.validator($0, ignoreUnknownValues: ignoreUnknownValues) }
    }

    /// A validator of one schema file, for `spoolctl schema check`, where the flag is given on the command line.
    public static func validator(_ schema: TableSchema, ignoreUnknownValues: Bool) -> RowValidator {
        RowValidator(schema: schema, ignoreUnknownValues: ignoreUnknownValues)
    }

    /// The policy of a spool's configuration, for rows bound to `destination` (nil where none is known, as in
    /// `append`).
    public init(configuration: Spool.Configuration, destination: Destination?) {
        self.init(schemas: configuration.schemas, ignoreUnknownValues: Self.ignoresUnknownValues(spool: configuration, destination: destination))
    }

    /// The validator of `table`, nil when no schema is configured for it.
    public func validator(for table: String) -> RowValidator? {
        validators[table]
    }

    /// The tables with a schema, sorted.
    public var tables: [String] {
        validators.keys.sorted()
    }

    /// The first error BigQuery would report for `json` in `table`; nil when it would accept the row or no schema
    /// is configured for the table.
    public func verdict(json: String, table: String) -> RowError? {
        validators[table]?.validate(json: json)
    }

    /// What comparing a table's remote schema with the local one found.
    package enum RemoteCheck: Sendable, Equatable {
        /// Not compared: no local schema, or already compared in this run.
        case skipped
        /// The remote schema could not be fetched (the error's words).
        case unavailable(String)
        case same
        /// They differ: from now on the table is judged with the remote schema, `schema`. `note` says so in `status`.
        case differs(note: String, differences: Int, schema: TableSchema)
    }

    /// Compares `table`'s remote schema, fetched with `fetch`, with the local one, once per table: when they
    /// differ, the table is judged with the remote schema from then on (it is the one BigQuery applies).
    /// - Parameter remoteName: `dataset.table`, for the note.
    package mutating func checkRemote(table: String, remoteName: String, fetch: () throws -> TableSchema) -> RemoteCheck {
        guard let local = localSchemas[table], !remoteChecked.contains(table) else { return .skipped }
        remoteChecked.insert(table)
        let remote: TableSchema
        do {
            remote = try fetch()
        } catch {
            return .unavailable("\(error)")
        }
        let differences = local.differences(from: remote)
        guard !differences.isEmpty else { return .same }
        validators[table] = Self.validator(remote, ignoreUnknownValues: ignoreUnknownValues)
        let summary = differences.prefix(5).map { "\($0)" }.joined(separator: "; ")
        let note = "remote schema of \(remoteName) differs from the local file (\(summary)); validating with the remote schema"
        return .differs(note: note, differences: differences.count, schema: remote)
    }
}
