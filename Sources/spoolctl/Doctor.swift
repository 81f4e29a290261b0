import ArgumentParser
import BigQueryREST
import Foundation
import Logging
import Spool

/// `spoolctl doctor`: what is wrong with the set-up, one checked line each. It changes nothing: BigQuery is only
/// read (datasets.get, tables.get, and INFORMATION_SCHEMA.VIEWS when views are configured) and the spool file is
/// opened read-only — except with `--repair-totals`, which first rewrites the spool file's running totals from its rows.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the set-up: configuration, credentials, endpoint, dataset, tables, views, spool file, lease.",
        discussion: """
            Prints one line per check, ✓ or ✗ with the reason, and exits 0 when every check passes, 2 otherwise. \
            Modifies nothing, except that --repair-totals first recounts the spool file's running totals (pending \
            rows and bytes, dead letters per table) from its rows and rewrites those that drifted. --format json prints {"ok": Bool, "checks": [{"kind", "subject", "passed", "message", \
            "details"}]} (a stable format; kind is one of configuration, destination, credentials, endpoint, dataset, \
            table, view, spoolFile, spoolIntegrity, spoolLease).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @OptionGroup var options: ProvisioningOptions

    @Option(name: .long, help: "Output format.")
    var format: Format = .text

    @Flag(name: .customLong("repair-totals"), help: "First recount the spool file's running totals from its rows and rewrite those that drifted (opens it read-write; safe beside a running API process).")
    var repairTotals = false

    func run() throws {
        if repairTotals {
            try repairSpoolTotals()
        }
        let checks = Self.checks(options: options)
        switch format {
        case .text:
            for check in checks {
                Output.line("\(check.passed ? "✓" : "✗") \(check.message)")
                for detail in check.details {
                    Output.line("    \(detail)")
                }
            }
            let failures = checks.filter { !$0.passed }.count
            Output.line(failures == 0 ? "all \(checks.count) checks passed" : "\(failures) of \(checks.count) checks failed")
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            let data = try encoder.encode(Report(ok: checks.allPassed, checks: checks))
            Output.line(String(decoding: data, as: UTF8.self))
        }
        if !checks.allPassed {
            throw ExitCode(2)
        }
    }

    /// Prints what was corrected: on stdout in text, on stderr beside JSON (stdout carries only the report).
    private func repairSpoolTotals() throws {
        let configuration = try options.loadConfiguration().file
        guard let path = configuration.spoolPath, FileManager.default.fileExists(atPath: path) else {
            throw CommandFailure("--repair-totals: no spool file (\(configuration.spoolPath ?? "spool.path is not configured"))")
        }
        // As every command that writes: a spool of this version only, and as the file's owner.
        let spool = try SpoolOptions.openSpool(at: path, configuration, readOnly: false)
        defer { spool.close() }
        let drift = try spool.repairTotals()
        let lines = drift.isEmpty
            ? ["running totals of \(path) matched the rows: nothing to repair"]
            : ["running totals of \(path) repaired (\(drift.count) figure\(drift.count == 1 ? "" : "s") drifted):"] + drift.map { "    \($0)" }
        for line in lines {
            if format == .json { printError(line) } else { Output.line(line) }
        }
    }

    private struct Report: Encodable {
        var ok: Bool
        var checks: [PreflightCheck]
    }

    static func checks(options: ProvisioningOptions) -> [PreflightCheck] {
        let configuration: SpoolConfigurationFile
        let path: String?
        do {
            (configuration, path) = try options.loadConfiguration()
        } catch {
            return [PreflightCheck(.configuration, passed: false, "configuration: \(error.message)")]
        }
        var checks: [PreflightCheck] = []
        let schemaCount = configuration.spool.schemas.count
        let schemaText = configuration.schemasDirectory.map { "\(schemaCount) table schema\(schemaCount == 1 ? "" : "s") from \($0)" } ?? "no schemas directory"
        checks.append(PreflightCheck(.configuration, passed: true, "configuration \(path ?? "from the environment only") parses (\(schemaText))"))

        // Tables the spool already holds rows for are checked too: a name in code that matches no real table shows up here.
        let waitingTables = configuration.spoolPath.map(Preflight.waitingTables(inSpoolAt:)) ?? []

        if let destination = configuration.destination {
            checks.append(PreflightCheck(.destination, passed: true, "destination: project \(destination.project), dataset \(destination.dataset), endpoint \(destination.endpoint)"))
            do throws(CredentialsError) {
                let credentials = try configuration.uploader.credentials.makeProvider(endpoint: destination.endpoint)
                let tables = Set(configuration.spool.schemas.keys).union(destination.tables.keys).union(waitingTables).sorted()
                let preflight = Preflight(
                    destination: destination, credentials: credentials, schemas: configuration.spool.schemas,
                    eventTables: tables, http: ProvisioningConnection.httpConfiguration(configuration)
                )
                checks += preflight.run()
                if !configuration.views.isEmpty, checks.allPassed(of: [.credentials, .endpoint]) {
                    checks += ViewChecks.run(configuration: configuration, destination: destination, credentials: credentials)
                }
            } catch {
                checks.append(PreflightCheck(.credentials, passed: false, "credentials: \(error.message)"))
                checks.append(PreflightCheck(.endpoint, passed: false, "\(destination.endpoint) not checked: no usable credentials"))
            }
        } else {
            checks.append(PreflightCheck(.destination, passed: false, "no BigQuery destination: set destination.project and destination.dataset in the configuration file (or SPOOL_PROJECT and SPOOL_DATASET)"))
        }

        if let spoolPath = configuration.spoolPath {
            checks += Preflight.checkSpoolFile(at: spoolPath)
        } else {
            checks.append(PreflightCheck(.spoolFile, passed: false, "no spool file configured: set spool.path in the configuration file (or SPOOL_DB)"))
        }
        return checks
    }
}
