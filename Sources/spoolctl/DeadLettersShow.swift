import ArgumentParser
import Spool

extension DeadLetters {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one dead letter in full: BigQuery's verdict and the payload, pretty-printed.",
            discussion: "This is the one command that prints payload values: its job is to show the row."
        )

        @OptionGroup var location: SpoolOptions

        @Argument(help: "The dead letter's id (see list).")
        var id: Int64

        @Option(help: "Output format: text, or json (list's fields plus payload as a JSON object).")
        var format: OutputFormat = .text

        func run() throws {
            let file = try location.loadConfiguration()
            let spool = try location.openSpool(file, readOnly: true)
            defer { spool.close() }
            guard let letter = try spool.deadLetter(id: id) else {
                throw CommandFailure("no dead letter with id \(id) in \(spool.path)")
            }
            let payload = try? JSONParser.parse(letter.payload)
            switch format {
            case .json:
                guard case .object(var object) = List.json(letter) else { return }
                object["payload"] = payload ?? .string(letter.payload)
                Output.line(JSONValue.object(object).prettyPrinted())
            case .text:
                let fields: [(String, String)] = [
                    ("table", letter.table), ("insert id", letter.insertId), ("reason", letter.reason),
                    ("location", letter.location.isEmpty ? "-" : letter.location), ("message", letter.message),
                    ("attempts", String(letter.attempts)), ("appended", letter.createdAt),
                    ("dead-lettered", letter.deadLetteredAt),
                ]
                Output.line("dead letter \(letter.id)")
                for (name, value) in fields {
                    Output.line(Column.left(name + ":", 15) + TerminalText.value(value))
                }
                Output.line("payload:")
                // prettyPrinted escapes control characters inside strings; a payload that does not parse is one escaped line.
                Output.line(payload?.prettyPrinted() ?? TerminalText.value(letter.payload))
            }
        }
    }
}
