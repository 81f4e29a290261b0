import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Spool

/// How the server starts.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// Spool's configuration file (`SpoolConfigurationFile`); nil: `SPOOL_CONFIG`, else the environment alone.
    public var configurationPath: String?
    /// false: no spool at all, appends are skipped — the benchmark's baseline.
    public var eventsEnabled = true
    /// Overrides for the configuration file (`SPOOL_DB`, `SPOOL_ENDPOINT`, …).
    public var environment: [String: String] = ProcessInfo.processInfo.environment
    /// Served at `GET /metrics` when set: the registry of the `PrometheusMetricsFactory` the application bootstrapped.
    public var metricsRegistry: PrometheusCollectorRegistry?

    public init() {}
}

/// A start-up problem the operator must fix.
public struct ServerSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// The LeafLoaf API: a Hummingbird application whose ServiceGroup runs the spool's uploader beside the HTTP server.
///
/// On SIGTERM/SIGINT the group shuts down in reverse order: the server stops taking requests first, then the
/// uploader makes its last drain attempt; events it cannot send wait in the spool file for the next start.
public struct LeafLoafServer: Sendable {
    public typealias App = Application<RouterResponder<BasicRequestContext>>

    public let spool: Spool?
    public let uploader: SpoolUploader?
    public let routes: LeafLoafRoutes
    public let application: App

    public init(options: ServerOptions, logger: Logger, onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) throws {
        var spool: Spool?
        var uploader: SpoolUploader?
        if options.eventsEnabled {
            let path = SpoolConfigurationFile.locate(explicit: options.configurationPath, environment: options.environment)
            let file = try SpoolConfigurationFile.load(path: path, environment: options.environment, logger: logger)
            guard let spoolPath = file.spoolPath else {
                throw ServerSetupError(description: "no spool path: set spool.path in \(path ?? "the configuration file") or SPOOL_DB")
            }
            let opened = try Spool(path: spoolPath, configuration: file.spool)
            spool = opened
            if let destination = file.destination {
                uploader = try SpoolUploader(spool: opened, destination: destination, configuration: file.uploader)
            } else {
                logger.notice("no BigQuery destination configured: events wait in the spool", metadata: ["spool.path": "\(spoolPath)"])
            }
        }
        self.spool = spool
        self.uploader = uploader
        routes = LeafLoafRoutes(analytics: AnalyticsService(spool: spool, logger: logger))
        let router = Router()
        routes.add(to: router)
        if let registry = options.metricsRegistry {
            MetricsEndpoint(registry: registry).add(to: router)
        }
        application = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "leafloaf"),
            services: uploader.map { [$0] } ?? [],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? options.port) },
            logger: logger
        )
    }

    /// Runs until SIGTERM or SIGINT, then closes the spool.
    public func run() async throws {
        defer { spool?.close() }
        try await application.runService()
    }
}
