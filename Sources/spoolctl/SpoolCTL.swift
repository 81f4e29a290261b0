import ArgumentParser
import BigQueryREST
import Foundation
import Spool

@main
struct SpoolCTL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolctl",
        abstract: "See and move a Spool outbox: status, drain, dead letters, schemas.",
        discussion: """
            The spool file is --db PATH, else spool.path of the configuration file: --config PATH, else \
            $SPOOL_CONFIG, else /etc/spool/spool.json when it exists.

            Exit codes: 0 all is well, 2 something needs attention (see each command), 1 an error \
            (including a bad command line, and a file that is not a spool: it is left untouched); 130 (143 for \
            SIGTERM) drain stopped at once by a second Ctrl-C. See README, "Operating safely".
            """,
        version: "0.1.0",
        subcommands: [
            Status.self,
            Drain.self,
            Run.self,
            DeadLetters.self,
            Schema.self,
            Tables.self,
            Doctor.self,
            Migrate.self,
        ]
    )

    /// Parses and runs, with one exit code contract for every command: usage errors exit 1 like other errors
    /// (ArgumentParser's default would be 64), and library errors print their message alone on stderr.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as SpoolError {
            Diagnostics.error(error.message)
            exit(withError: ExitCode.failure)
        } catch let error as BigQueryError {
            Diagnostics.error(error.description)
            exit(withError: ExitCode.failure)
        } catch let error as CommandFailure {
            Diagnostics.error(error.message)
            exit(withError: ExitCode.failure)
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                exit(withError: ExitCode.failure)
            }
            exit(withError: error)
        }
    }
}
