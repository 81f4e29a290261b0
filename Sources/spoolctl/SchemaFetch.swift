import ArgumentParser
import BigQueryREST
import Foundation
import Logging
import Spool

extension Schema {
    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download tables' schemas (tables.get) into <table>.json files.",
            discussion: """
                Writes the array of fields that `bq show --schema` prints and a schemas directory holds. The \
                destination (project, dataset, table mapping, endpoint) comes from the configuration file, else \
                from the spool file. --all fetches every table of the configuration's schemas directory and \
                table mapping. Prints the path of each file written.
                """
        )

        @OptionGroup var location: SpoolOptions
        @OptionGroup var credentials: CredentialsOption

        @Option(name: .customLong("table"), help: ArgumentHelp("An event table to fetch (repeatable).", valueName: "name"))
        var tables: [String] = []

        @Flag(help: "Fetch every table of the configuration's schemas directory and table mapping.")
        var all = false

        @Option(help: ArgumentHelp("The folder to write into (created when missing).", valueName: "dir"))
        var out: String = "."

        func validate() throws {
            guard all != !tables.isEmpty else {
                throw ValidationError("name the tables with --table NAME, or pass --all (not both)")
            }
        }

        func run() throws {
            let file = try location.loadConfiguration(credentials: credentials)
            let destination = try Self.destination(file: file, location: location)
            let uploader = file.uploader
            let client = BigQueryClient(
                endpoint: destination.endpoint, project: destination.project,
                credentials: try Self.tokenProvider(uploader.credentials, endpoint: destination.endpoint),
                http: HTTPClient.Configuration(connectTimeout: uploader.connectTimeout, totalTimeout: uploader.requestTimeout),
                logger: Logger(label: "spoolctl", factory: { _ in SwiftLogNoOpLogHandler() })
            )
            let names = all ? Set(file.spool.schemas.keys).union(destination.tables.keys).sorted() : tables
            guard !names.isEmpty else {
                throw CommandFailure("--all found no tables: the configuration has no schemas directory and no destination.tables mapping")
            }
            let folder = URL(fileURLWithPath: out)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            var failures = 0
            for name in names {
                let target = destination.target(for: name)
                do {
                    let resource = try client.getTable(dataset: target.dataset, table: target.table)
                    let schema = try TableSchema(json: .object(resource.schema), file: "tables.get \(target.dataset).\(target.table)")
                    let url = folder.appendingPathComponent("\(name).json")
                    try schema.jsonData(pretty: true).write(to: url, options: .atomic)
                    Output.line(url.path)
                    Diagnostics.note(TerminalText.value("\(name): \(schema.fields.count) fields from \(destination.project):\(target.dataset).\(target.table)"))
                } catch {
                    failures += 1
                    Diagnostics.error(TerminalText.value("\(name): \(error)"))
                }
            }
            if failures > 0 {
                throw ExitCode.failure
            }
        }

        /// The configuration's destination, else the one recorded in the spool file (when one can be found).
        static func destination(file: SpoolConfigurationFile, location: SpoolOptions) throws -> Destination {
            if let destination = file.destination { return destination }
            let spool = try? location.openSpool(file, readOnly: true)
            defer { spool?.close() }
            return try DestinationLookup.destination(file: file, spool: spool)
        }

        static func tokenProvider(_ choice: UploaderConfiguration.CredentialsChoice, endpoint: String) throws -> any AccessTokenProvider {
            do throws(CredentialsError) {
                return try choice.makeProvider(endpoint: endpoint)
            } catch {
                throw CommandFailure("BigQuery credentials: \(error.message)")
            }
        }
    }
}
