import ArgumentParser
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Spool
import Synchronization

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the library's uploader for one spool as a foreground service, until SIGTERM or SIGINT.",
        discussion: """
            The uploader an API process would run in its ServiceGroup, in a process of its own: it drains the \
            spool to BigQuery continuously, for any number of appending processes (the Python module, the C \
            library, Swift). Same configuration file as the other commands; logs to stderr, for systemd's journal.

            Only one uploader drains a spool at a time. When another one holds the lease, run waits and logs \
            that once; when that one stops or dies, run takes over once its lease expires (uploader.leaseSeconds).

            SIGTERM or SIGINT: the batch in flight is finished and applied, a last drain runs for at most 5 s, \
            the lease is released, and run exits 0. Nothing is lost: what was not sent waits in the file.

            Exit codes: 0 stopped by a signal; 1 a bad configuration, no spool file, or an uploader failure.
            """
    )

    @OptionGroup var location: SpoolOptions
    @OptionGroup var credentials: CredentialsOption

    func run() throws {
        // The executable owns logging: the library only ever logs through the Logger it is given.
        var logger = Logger(label: "spoolctl.run", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .info
        let setup = try UploaderSetup(location: location, credentials: credentials, logger: logger)
        defer { setup.spool.close() }
        let destination = setup.destination
        logger.info(
            "spoolctl run: uploading \(setup.spool.path) to \(destination.project):\(destination.dataset) at \(destination.endpoint) (credentials: \(setup.uploader.credentialsDescription))"
        )
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [setup.uploader], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
            )
        )
        try Self.wait { try await group.run() }
        logger.info("spoolctl run: stopped")
    }

    /// Runs `body` to completion from this synchronous command (the main thread waits; the work runs on the
    /// concurrency pool) and rethrows its error.
    private static func wait(for body: @escaping @Sendable () async throws -> Void) throws {
        let outcome = Outcome()
        Task {
            do {
                try await body()
            } catch {
                outcome.error.withLock { $0 = error }
            }
            outcome.finished.signal()
        }
        outcome.finished.wait()
        if let error = outcome.error.withLock({ $0 }) { throw error }
    }

    private final class Outcome: Sendable {
        let error = Mutex<(any Error)?>(nil)
        let finished = DispatchSemaphore(value: 0)
    }
}
