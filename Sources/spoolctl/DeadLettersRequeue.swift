import ArgumentParser
import Spool

extension DeadLetters {
    struct Requeue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Move dead letters back to the outbox, with their original insert ids.",
            discussion: """
                Give ids, filters, or both (all must match); with neither, every dead letter is requeued. Each row \
                is first checked as append checks it (a valid table name, one JSON object, within the row size \
                limit) and, when the configuration names a schemas directory, against its table's current schema: \
                rows that fail stay dead letters and are reported with their new verdict.

                Exit codes: 0 every selected row was requeued (or none matched); 2 some rows stay; 1 an error \
                (an id that does not exist, or a --table the spool has never seen: nothing is changed).
                """
        )

        @OptionGroup var location: SpoolOptions
        @OptionGroup var selection: DeadLetterSelection

        @Argument(help: "Dead letter ids (default: every one the filters match).")
        var ids: [Int64] = []

        func run() throws {
            try selection.change(ids, in: location) { file, spool, letters in
                let schemas = SchemaPolicy(configuration: file.spool, destination: file.destination)
                var unchecked: Set<String> = []
                var movable: [DeadLetter] = []
                var staying: [(letter: DeadLetter, verdict: RowError)] = []
                for letter in letters {
                    // What append itself refuses the outbox would never deliver: checked with or without a schema.
                    do throws(SpoolError) {
                        try spool.checkRow(letter.payload, table: letter.table)
                    } catch {
                        staying.append((letter, RowError(reason: error.code.description, location: error.location ?? "", message: error.message)))
                        continue
                    }
                    guard let validator = schemas.validator(for: letter.table) else {
                        unchecked.insert(letter.table)
                        movable.append(letter)
                        continue
                    }
                    if let verdict = validator.validate(json: letter.payload) {
                        staying.append((letter, verdict))
                    } else {
                        movable.append(letter)
                    }
                }
                let moved = try spool.outbox.requeueDeadLetters(ids: movable.map(\.id).sorted(), now: TimeText.nowMillis())
                Output.line("requeued \(NumberText.grouped(moved)) rows to the outbox with their original insert ids")
                if !unchecked.isEmpty {
                    Diagnostics.note("not validated (no schema configured): \(unchecked.sorted().joined(separator: ", "))")
                }
                if moved < movable.count {
                    Diagnostics.note("\(movable.count - moved) rows were gone before they could be moved (requeued or purged meanwhile)")
                }
                guard !staying.isEmpty else { return }
                Output.line("\(NumberText.grouped(staying.count)) rows stay dead letters: the outbox would not deliver them as they are")
                for (letter, verdict) in staying.sorted(by: { $0.letter.id < $1.letter.id }) {
                    let location = verdict.location.isEmpty ? "" : " at \(verdict.location)"
                    Output.line("  \(letter.id) \(letter.table): \(verdict.reason)\(location): \(verdict.message)")
                }
                throw ExitCode(2)
            }
        }
    }
}
