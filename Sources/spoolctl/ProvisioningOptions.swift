import ArgumentParser
import BigQueryREST
import Foundation
import Logging
import Spool

/// The options `tables create` and `doctor` share: where the configuration file is.
struct ProvisioningOptions: ParsableArguments {
    @Option(name: .long, help: "The configuration file (default: $SPOOL_CONFIG, then /etc/spool/spool.json).")
    var config: String?

    /// The configuration file with the environment applied, and the path it came from (nil: environment only).
    func loadConfiguration() throws(SpoolError) -> (file: SpoolConfigurationFile, path: String?) {
        let path = SpoolConfigurationFile.locate(explicit: config)
        return (try SpoolConfigurationFile.load(path: path), path)
    }
}

/// What both commands need to talk to BigQuery from a loaded configuration.
enum ProvisioningConnection {
    /// HTTP limits from the uploader section, with a ceiling that keeps an interactive command responsive.
    static func httpConfiguration(_ file: SpoolConfigurationFile) -> HTTPClient.Configuration {
        HTTPClient.Configuration(
            connectTimeout: min(file.uploader.connectTimeout, .seconds(10)),
            totalTimeout: min(file.uploader.requestTimeout, .seconds(60)),
            userAgent: "spoolctl/\(SpoolCTL.configuration.version)"
        )
    }

    /// A client for the destination, logging nowhere: the commands print what matters themselves.
    static func client(_ file: SpoolConfigurationFile, destination: Destination, credentials: any AccessTokenProvider) -> BigQueryClient {
        BigQueryClient(
            endpoint: destination.endpoint, project: destination.project, credentials: credentials,
            http: httpConfiguration(file), compressRequests: false,
            logger: Logger(label: "spoolctl", factory: { _ in SwiftLogNoOpLogHandler() })
        )
    }
}

/// Writes a line to stderr: diagnostics never mix with what a command prints on stdout.
func printError(_ line: String) {
    Diagnostics.write(line + "\n")
}
