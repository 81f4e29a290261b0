import Foundation
import Spool

/// Human diagnostics go to stderr, so that stdout carries only a command's output.
enum Diagnostics {
    static func error(_ message: String) {
        write("spoolctl: error: \(message)\n")
    }

    static func warning(_ message: String) {
        write("spoolctl: \(message)\n")
    }

    static func note(_ message: String) {
        write(message + "\n")
    }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(TerminalText.lines(text).utf8))
    }
}

/// The last guard between remote text and the terminal: every line spoolctl writes has its control characters
/// escaped (`JSONValue.displayText`), whatever was forgotten upstream. Values from outside are escaped where they are
/// formatted too, so that a newline inside a BigQuery message cannot start a line of its own.
enum TerminalText {
    static func lines(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { JSONValue.displayText(String($0)) }
            .joined(separator: "\n")
    }

    /// One value from outside (a table name, a message, a payload) for a line of text output.
    static func value(_ text: String) -> String {
        JSONValue.displayText(text)
    }
}

/// A failure of a command with a message for the operator (never a payload value); exits 1.
struct CommandFailure: Error {
    let message: String

    init(_ message: String) {
        self.message = message
    }
}

/// Writes to stdout unbuffered, so progress and results reach a pipe at once.
enum Output {
    static func line(_ text: String = "") {
        raw(TerminalText.lines(text) + "\n")
    }

    /// Unescaped: for the progress bar's own cursor movements only.
    static func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
