import ArgumentParser
import Spool

extension DeadLetters {
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List dead letters, newest first (without payloads: see show).",
            discussion: "--format json prints an array of objects with id, table, insertId, reason, location, message, attempts, createdAt and deadLetteredAt."
        )

        @OptionGroup var location: SpoolOptions
        @OptionGroup var selection: DeadLetterSelection

        @Option(help: "Output format: text, or json (a stable shape, documented in the README).")
        var format: OutputFormat = .text

        static let defaultLimit = 100

        func run() throws {
            let file = try location.loadConfiguration()
            let spool = try location.openSpool(file, readOnly: true)
            defer { spool.close() }
            let letters = try selection.select(from: spool, defaultLimit: Self.defaultLimit)
            switch format {
            case .json:
                Output.line(JSONValue.array(letters.map(Self.json)).prettyPrinted())
            case .text:
                if letters.isEmpty {
                    Diagnostics.note("no dead letters match")
                } else {
                    Output.line(Self.table(letters))
                }
            }
            if selection.limit == nil && letters.count == Self.defaultLimit {
                Diagnostics.note("showing the newest \(Self.defaultLimit); pass --limit to see more")
            }
        }

        static func json(_ letter: DeadLetter) -> JSONValue {
            .object([
                "id": .integer(letter.id),
                "table": .string(letter.table),
                "insertId": .string(letter.insertId),
                "reason": .string(letter.reason),
                "location": .string(letter.location),
                "message": .string(letter.message),
                "attempts": .integer(letter.attempts),
                "createdAt": .string(letter.createdAt),
                "deadLetteredAt": .string(letter.deadLetteredAt),
            ])
        }

        /// ID, table, reason, location and time, within 80 columns.
        static func table(_ letters: [DeadLetter]) -> String {
            let idWidth = max(2, letters.map { String($0.id).count }.max() ?? 0)
            let reasonWidth = min(12, max(6, letters.map { TerminalText.value($0.reason).count }.max() ?? 0))
            let timeWidth = 20
            let fixed = idWidth + reasonWidth + timeWidth + 8
            // Table and location share what is left of 80 columns; the location gets up to 18 of it first.
            let locationNeed = min(18, max(8, letters.map { TerminalText.value($0.location).count }.max() ?? 0))
            let tableNeed = max(5, letters.map { TerminalText.value($0.table).count }.max() ?? 0)
            let tableWidth = min(tableNeed, max(20, 80 - fixed - locationNeed))
            let locationWidth = max(8, 80 - fixed - tableWidth)
            func row(_ id: String, _ table: String, _ reason: String, _ location: String, _ time: String) -> String {
                [Column.right(id, idWidth), Column.left(table, tableWidth), Column.left(reason, reasonWidth), Column.left(location, locationWidth), time]
                    .joined(separator: "  ")
            }
            var lines = [row("ID", "TABLE", "REASON", "LOCATION", "DEAD-LETTERED")]
            for letter in letters {
                let location = letter.location.isEmpty ? "-" : letter.location
                lines.append(row(
                    String(letter.id), TerminalText.value(letter.table), TerminalText.value(letter.reason), TerminalText.value(location),
                    TerminalText.value(TimeText.short(iso: letter.deadLetteredAt))
                ))
            }
            return lines.joined(separator: "\n")
        }
    }
}
