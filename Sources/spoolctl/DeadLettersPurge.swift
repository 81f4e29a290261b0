import ArgumentParser
import Foundation
import Spool

extension DeadLetters {
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete dead letters for good.",
            discussion: """
                Give ids, filters, or both (all must match); with neither, every dead letter is deleted. Asks \
                for confirmation on a terminal; elsewhere it needs --yes.
                """
        )

        @OptionGroup var location: SpoolOptions
        @OptionGroup var selection: DeadLetterSelection

        @Argument(help: "Dead letter ids (default: every one the filters match).")
        var ids: [Int64] = []

        @Flag(help: "Delete without asking.")
        var yes = false

        func run() throws {
            try selection.change(ids, in: location) { file, spool, letters in
                let count = NumberText.grouped(letters.count)
                if !yes {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw CommandFailure("purge would delete \(count) dead letters for good: pass --yes to confirm (stdin is not a terminal)")
                    }
                    Diagnostics.write("Delete \(count) dead letters from \(spool.path) for good? [y/N] ")
                    let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
                    guard answer == "y" || answer == "yes" else {
                        Diagnostics.note("nothing deleted")
                        return
                    }
                }
                let removed = try spool.purgeDeadLetters(ids: letters.map(\.id))
                Output.line("removed \(NumberText.grouped(removed)) dead letters")
            }
        }
    }
}
