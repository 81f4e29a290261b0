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
                let outcome = try spool.requeueDeadLetters(ids: letters.map(\.id), destination: file.destination)
                Output.line("requeued \(NumberText.grouped(outcome.requeued)) rows to the outbox with their original insert ids")
                if !outcome.unvalidatedTables.isEmpty {
                    Diagnostics.note("not validated (no schema configured): \(outcome.unvalidatedTables.joined(separator: ", "))")
                }
                if outcome.missing > 0 {
                    Diagnostics.note("\(outcome.missing) rows were gone before they could be moved (requeued or purged meanwhile)")
                }
                guard !outcome.kept.isEmpty else { return }
                Output.line("\(NumberText.grouped(outcome.kept.count)) rows stay dead letters: the outbox would not deliver them as they are")
                for kept in outcome.kept {
                    let verdict = kept.verdict
                    let location = verdict.location.isEmpty ? "" : " at \(verdict.location)"
                    Output.line("  \(kept.letter.id) \(kept.letter.table): \(verdict.reason)\(location): \(verdict.message)")
                }
                throw ExitCode(2)
            }
        }
    }
}
