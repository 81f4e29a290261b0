import ArgumentParser
import Foundation
import Spool

/// Where the spool and its configuration are: shared by every command that reads a spool file.
struct SpoolOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The spool file (default: $SPOOL_DB, else spool.path of the configuration file).", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("The configuration file (default: $SPOOL_CONFIG, else /etc/spool/spool.json when it exists).", valueName: "path"))
    var config: String?

    /// The configuration file (when one is found) with the environment applied, then `--db` and `--credentials`
    /// (the schema's options, read by the same rules). An explicit file that is missing or unreadable is an error.
    func loadConfiguration(credentials: CredentialsOption? = nil) throws -> SpoolConfigurationFile {
        let path = SpoolConfigurationFile.locate(explicit: config)
        let options = ["--db": db, "--credentials": credentials?.credentials].compactMapValues { $0 }
        return try SpoolConfigurationFile.load(path: path, options: options)
    }

    /// The configuration's spool path: `--db`, else `SPOOL_DB`, else the file's `spool.path`.
    func spoolPath(in file: SpoolConfigurationFile) throws -> String {
        if let path = file.spoolPath { return path }
        let source = file.sourcePath.map { "the configuration file \($0) names no spool.path" }
            ?? "no configuration file was found (--config, $SPOOL_CONFIG, \(SpoolConfigurationFile.defaultPath))"
        throw CommandFailure("which spool? Pass --db PATH: \(source)")
    }

    /// Opens the spool file, which must already be a spool of this version: a tool never creates one from a typo,
    /// never turns another file into one, and migrates only when asked to (`opening: .existingAndMigrate`).
    /// Commands that write refuse to run as a user other than the file's owner or root (`SpoolOpening` says why).
    func openSpool(_ file: SpoolConfigurationFile, readOnly: Bool, opening: SpoolOpening = .existingOnly) throws -> Spool {
        try Self.openSpool(at: spoolPath(in: file), file, readOnly: readOnly, opening: opening)
    }

    /// `openSpool` for a path found elsewhere (doctor's configuration): the same checks.
    static func openSpool(
        at path: String, _ file: SpoolConfigurationFile, readOnly: Bool, opening: SpoolOpening = .existingOnly
    ) throws -> Spool {
        guard FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("no spool file at \(path)")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CommandFailure("the spool file \(path) cannot be read (permissions)")
        }
        var configuration = file.spool
        configuration.readOnly = readOnly
        configuration.opening = opening
        configuration.logger = nil
        return try Spool(path: path, configuration: configuration)
    }
}

/// The destination a command sends to: the configuration's, else the one the spool file recorded when an
/// uploader last started.
enum DestinationLookup {
    static func destination(file: SpoolConfigurationFile, spool: Spool?) throws -> Destination {
        if let destination = file.destination { return destination }
        if let recorded = try spool?.recordedDestination() {
            return recorded
        }
        throw CommandFailure(
            "no destination: the configuration has no \"destination\" section (or SPOOL_PROJECT/SPOOL_DATASET), "
                + "and the spool file records none (an uploader records it when it starts)"
        )
    }
}

/// `--credentials PATH|none|automatic` (else SPOOL_CREDENTIALS, else the configuration's choice): read with the
/// configuration file's own rules (`SpoolOptions.loadConfiguration(credentials:)`).
struct CredentialsOption: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Where BigQuery access tokens come from: automatic (Google's ADC order; none for a loopback emulator), none, or a key file path. Default: $SPOOL_CREDENTIALS, else the configuration's uploader.credentials.",
            valueName: "path|none|automatic"
        )
    )
    var credentials: String?
}
