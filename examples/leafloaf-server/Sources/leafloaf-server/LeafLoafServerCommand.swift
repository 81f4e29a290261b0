import ArgumentParser
import Foundation
import LeafLoafServer
import Logging
import Metrics
import Prometheus

@main
struct LeafLoafServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "leafloaf-server",
        abstract: "The LeafLoaf API: search, interactions, cart and orders, with analytics events spooled to BigQuery."
    )

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(name: .customLong("config"), help: "Spool's configuration file (default: SPOOL_CONFIG).")
    var configurationPath: String?

    @Option(help: "on: append an event per request; off: no spool at all (the benchmark's baseline). Default: LEAFLOAF_EVENTS, else on.")
    var events: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level \(logLevel)") }
        guard ["on", "off"].contains(eventsSetting) else { throw ValidationError("--events must be on or off") }
    }

    private var eventsSetting: String {
        events ?? ProcessInfo.processInfo.environment["LEAFLOAF_EVENTS"].flatMap { $0.isEmpty ? nil : $0 } ?? "on"
    }

    func run() async throws {
        // The application, not the library, chooses where logs go.
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "leafloaf")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        // And where metrics go: Prometheus, scraped at GET /metrics. Timers become histograms in seconds.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        var options = ServerOptions()
        options.host = host
        options.port = port
        options.configurationPath = configurationPath
        options.eventsEnabled = eventsSetting == "on"
        options.metricsRegistry = registry
        let host = self.host
        let events = eventsSetting
        let server = try LeafLoafServer(options: options, logger: logger) { port in
            // One line on stdout that scripts wait for.
            FileHandle.standardOutput.write(Data("leafloaf-server listening on http://\(host):\(port) (events \(events))\n".utf8))
        }
        try await server.run()
    }
}
