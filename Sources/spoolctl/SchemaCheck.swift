import ArgumentParser
import Foundation
import Spool

extension Schema {
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate each row of a newline-delimited JSON file against a table schema.",
            discussion: """
                Checks rows as BigQuery's insertAll would (the row validator Spool uses), and prints each \
                line's verdict with its location and message. With --format json, one JSON object per input \
                line, in order: {"line":1,"valid":false,"errors":[{"reason":"invalid","location":"…","message":"…"}]}; \
                a line that is not a JSON object gets reason parseError. Blank lines are skipped.

                Exit codes: 0 every row is valid; 2 some are not; 1 an error (unreadable files, a bad schema).
                """
        )

        @Option(help: ArgumentHelp("The table schema: bq's array of fields, {\"fields\":…}, or a tables.get resource.", valueName: "schema.json"))
        var schema: String

        @Argument(help: ArgumentHelp("The rows, one JSON object per line (- for stdin).", valueName: "rows.ndjson"))
        var rows: String

        @Option(help: "Output format: text, or json (one object per line).")
        var format: OutputFormat = .text

        @Flag(name: .customLong("ignore-unknown-values"), help: "Accept fields the schema does not have, as insertAll's ignoreUnknownValues.")
        var ignoreUnknownValues = false

        func run() throws {
            guard let schemaData = FileManager.default.contents(atPath: schema) else {
                throw CommandFailure("cannot read the schema file \(schema)")
            }
            let tableSchema: TableSchema
            do {
                tableSchema = try TableSchema(jsonData: schemaData, file: schema)
            } catch {
                throw CommandFailure("\(error)")
            }
            let input: Data?
            if rows == "-" {
                input = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                input = FileManager.default.contents(atPath: rows)
            }
            guard let input else {
                throw CommandFailure("cannot read the rows file \(rows)")
            }
            let validator = SchemaPolicy.validator(tableSchema, ignoreUnknownValues: ignoreUnknownValues)
            var checked = 0
            var invalid = 0
            // Lines stay bytes: decoding them as String would silently replace invalid UTF-8, which BigQuery refuses.
            for (index, line) in input.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
                guard line.contains(where: { !Self.isJSONWhitespace($0) }) else { continue }
                checked += 1
                let verdict = Self.verdict(line, validator: validator)
                if verdict != nil { invalid += 1 }
                switch format {
                case .json: Output.line(Self.json(line: index + 1, verdict: verdict).serialized())
                case .text: Output.line(Self.text(line: index + 1, verdict: verdict))
                }
            }
            if format == .text {
                Output.line("\(NumberText.grouped(checked)) rows: \(NumberText.grouped(checked - invalid)) valid, \(NumberText.grouped(invalid)) invalid")
            }
            if invalid > 0 {
                throw ExitCode(2)
            }
        }

        /// The row's first error, as BigQuery would report it: a row over the request size limit is invalid,
        /// a line that is not a JSON object (invalid UTF-8 included) gets reason `parseError`.
        static func verdict(_ line: some Collection<UInt8>, validator: RowValidator) -> RowError? {
            if let tooLarge = RowValidator.sizeProblem(byteCount: line.count) {
                return tooLarge
            }
            let value: JSONValue
            do {
                value = try JSONParser.parse(line)
            } catch {
                return RowError(reason: "parseError", location: "", message: "\(error)")
            }
            guard case .object = value else {
                return RowError(reason: "parseError", location: "", message: "not a JSON object")
            }
            return validator.validate(value)
        }

        private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        static func json(line: Int, verdict: RowError?) -> JSONValue {
            let errors = verdict.map { error -> [JSONValue] in
                [.object(["reason": .string(error.reason), "location": .string(error.location), "message": .string(error.message)])]
            } ?? []
            return .object(["line": .integer(line), "valid": .bool(verdict == nil), "errors": .array(errors)])
        }

        static func text(line: Int, verdict: RowError?) -> String {
            guard let verdict else { return "line \(line): valid" }
            let location = verdict.location.isEmpty ? "" : " at \(TerminalText.value(verdict.location))"
            return "line \(line): \(TerminalText.value(verdict.reason))\(location): \(TerminalText.value(verdict.message))"
        }
    }
}
