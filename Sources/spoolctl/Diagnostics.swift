import Foundation

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
        FileHandle.standardError.write(Data(text.utf8))
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
        raw(text + "\n")
    }

    static func raw(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static var isTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
