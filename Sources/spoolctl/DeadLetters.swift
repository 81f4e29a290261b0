import ArgumentParser
import Spool

struct DeadLetters: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List, show, requeue or purge rows BigQuery will never accept.",
        discussion: """
            Dead letters keep everything needed to understand and replay a row: its table, insert id, payload, \
            and BigQuery's reason, location and message (or Spool's: expired, poison).
            """,
        subcommands: [List.self, Show.self, Requeue.self, Purge.self]
    )
}

/// Which dead letters a command works on: ids and filters, all of which must match.
struct DeadLetterSelection: ParsableArguments {
    @Option(help: ArgumentHelp("Only this event table.", valueName: "name"))
    var table: String?

    @Option(help: ArgumentHelp("Only this reason, e.g. invalid, expired, poison.", valueName: "reason"))
    var reason: String?

    @Option(help: ArgumentHelp("Only rows dead-lettered at or after this time: ISO-8601, or a duration ago such as 1h or 30m.", valueName: "time"))
    var since: PointInTime?

    @Option(help: ArgumentHelp("Only rows dead-lettered before this time: ISO-8601, or a duration ago such as 7d.", valueName: "time"))
    var before: PointInTime?

    @Option(help: ArgumentHelp("At most this many rows, newest first.", valueName: "n"))
    var limit: Int?

    func validate() throws {
        if let limit, limit < 1 {
            throw ValidationError("--limit must be at least 1")
        }
    }

    /// The matching dead letters, newest first. `ids` (when not empty) narrows the choice to those rows.
    func select(from spool: Spool, ids: [Int64] = [], defaultLimit: Int?) throws -> [DeadLetter] {
        let cap = limit ?? defaultLimit ?? Int(Int32.max)
        var letters: [DeadLetter]
        if ids.isEmpty {
            // --before is applied here, after the query, so the query must not cut the list first.
            let queryLimit = before == nil ? cap : Int(Int32.max)
            letters = try spool.deadLetters(matching: DeadLetterFilter(table: table, reason: reason, since: since?.iso, limit: queryLimit))
        } else {
            letters = try ids.compactMap { try spool.deadLetter(id: $0) }
            let missing = Set(ids).subtracting(letters.map(\.id))
            guard missing.isEmpty else {
                let list = missing.sorted().map(String.init).joined(separator: ", ")
                throw CommandFailure("no dead letter with id \(list) in \(spool.path) (see spoolctl dead-letters list); nothing was changed")
            }
            letters.sort { $0.id > $1.id }
            letters = letters.filter { letter in
                (table.map { letter.table == $0 } ?? true) && (reason.map { letter.reason == $0 } ?? true)
                    && (since.map { letter.deadLetteredAt >= $0.iso } ?? true)
            }
        }
        if let before {
            letters = letters.filter { $0.deadLetteredAt < before.iso }
        }
        return Array(letters.prefix(cap))
    }

    /// For the commands that change dead letters (requeue, purge): opens the spool for writing, selects the rows and
    /// hands them to `change`; when none match it says so and calls nothing. An id that does not exist, or a --table
    /// the spool has never seen, is a mistake: an error (exit 1) before anything changes.
    func change(
        _ ids: [Int64], in location: SpoolOptions,
        _ change: (_ file: SpoolConfigurationFile, _ spool: Spool, _ letters: [DeadLetter]) throws -> Void
    ) throws {
        let file = try location.loadConfiguration()
        let spool = try location.openSpool(file, readOnly: false)
        defer { spool.close() }
        if let table, !(try spool.status().tables.contains { $0.table == table }) {
            throw CommandFailure("the spool \(spool.path) has no rows, dead letters or state for table \(table); nothing was changed")
        }
        let letters = try select(from: spool, ids: ids, defaultLimit: nil)
        guard !letters.isEmpty else {
            Diagnostics.note("no dead letters match")
            return
        }
        try change(file, spool, letters)
    }

    var isEmpty: Bool {
        table == nil && reason == nil && since == nil && before == nil && limit == nil
    }
}
