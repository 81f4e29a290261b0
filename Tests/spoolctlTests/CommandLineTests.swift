import Foundation
import Testing

@Suite("spoolctl command line")
struct CommandLineTests {
    @Test("--version prints the version, and every command's --help exits 0 on stdout with its usage")
    func helpAndVersion() throws {
        let version = try Spoolctl.run(["--version"])
        #expect(version.code == 0)
        #expect(version.stdout == "0.1.0\n")

        let root = try Spoolctl.run(["--help"])
        #expect(root.code == 0)
        for command in ["status", "drain", "dead-letters", "schema"] {
            #expect(root.stdout.contains("  \(command) "), "\(command) missing from the root help")
        }
        let commands = [
            ["status"], ["drain"], ["dead-letters", "list"], ["dead-letters", "show"], ["dead-letters", "requeue"],
            ["dead-letters", "purge"], ["schema", "fetch"], ["schema", "check"],
        ]
        for command in commands {
            let help = try Spoolctl.run(command + ["--help"])
            #expect(help.code == 0)
            #expect(help.stdout.contains("USAGE: spoolctl \(command.joined(separator: " "))"))
            #expect(help.stderr.isEmpty)
        }
    }

    @Test("a bad command line exits 1 with the usage on stderr and nothing on stdout")
    func usageErrorsExitOne() throws {
        for arguments in [["frobnicate"], ["drain", "--timeout", "soon"], ["schema", "fetch", "--all", "--table", "t"], ["dead-letters", "list", "--limit", "0"]] {
            let result = try Spoolctl.run(arguments)
            #expect(result.code == 1, "\(arguments)")
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("Usage:") || result.stderr.contains("USAGE:"), "\(arguments): \(result.stderr)")
        }
    }
}
