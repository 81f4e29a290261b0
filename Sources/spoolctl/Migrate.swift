import ArgumentParser
import Spool

/// `spoolctl migrate`: the one command that changes a spool's schema version. Every other command refuses a spool of
/// another version and names this one.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring a spool written by an older Spool to this version's schema.",
        discussion: """
            The application migrates its own spool when it opens it; this does the same from a shell. Run it only \
            once every program that opens the file (the API process, spoolctl) is of this version or newer: an older \
            one refuses a newer file. Anything that is not a spool (an empty file, another SQLite database) is \
            refused and left untouched.

            Exit codes: 0 the spool is at this version (migrated, or already was); 1 an error.
            """
    )

    @OptionGroup var location: SpoolOptions

    func run() throws {
        let file = try location.loadConfiguration()
        let path = try location.spoolPath(in: file)
        let before = try Spool.schemaVersion(of: path)
        let spool = try location.openSpool(file, readOnly: false, opening: .existingAndMigrate)
        defer { spool.close() }
        let after = try spool.status().schemaVersion
        if before == after {
            Output.line("\(path): already at schema version \(after)")
        } else {
            Output.line("\(path): migrated from schema version \(before) to \(after)")
        }
    }
}
