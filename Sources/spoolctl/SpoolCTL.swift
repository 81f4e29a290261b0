import ArgumentParser

@main
struct SpoolCTL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spoolctl",
        abstract: "See and move a Spool outbox: status, drain, dead letters, schemas.",
        version: "0.1.0",
        subcommands: [Status.self, Tables.self, Doctor.self]
    )
}
