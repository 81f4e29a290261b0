import BigQueryREST
import BigQueryStorageWrite
import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import SpoolSchema
import SpoolStorage
import Synchronization

/// Drains a spool to BigQuery in the background.
///
/// A swift-service-lifecycle `Service`: add it to a `ServiceGroup`, and on graceful shutdown it makes a last drain
/// attempt bounded by `shutdownDrainTimeout`. Without ServiceLifecycle, run `run()` in a task and call
/// `triggerGracefulShutdown()` (or cancel the task to stop at once).
///
/// In `run()`, blocking work — libcurl transfers and SQLite transactions — runs on a thread of the uploader's own, never
/// on the cooperative pool (`drain` works on its caller's thread). Only one uploader drains a spool file at a time (a lease in the file), so several processes
/// may append to one file. Failures never escape to the host: they are retried, logged and shown in status.
public final class SpoolUploader: Service, Sendable {
    public let spool: Spool
    public let destination: Destination
    public let configuration: UploaderConfiguration
    private let credentials: any AccessTokenProvider
    private let logger: Logger
    /// The Storage Write API client, when `destination.api` is `.storageWrite`.
    private let writeStreamService: (any WriteStreamService)?
    /// Stream rotation and request sizes of the Storage Write transport.
    private let storageWriteSettings: StorageWriteSettings
    private let control = Mutex(Control())
    private let wakeUp = DispatchSemaphore(value: 0)

    private struct Control {
        var stopRequested = false
        /// Unix ms; set by a graceful shutdown, which drains until then.
        var drainDeadline: Int64?
        var running = false
        /// The lease holder ids of the `drain` calls running now, for `releaseLeaseNow()`.
        var drainHolders: Set<String> = []
        /// Set by `releaseLeaseNow()`: no drain of this uploader sends another request.
        var leaseReleased = false
    }

    /// - Throws: `SpoolError.invalidConfiguration` for an invalid destination, `SpoolError.credentials` (with the
    ///   `CredentialsError` as `underlying`) for an unusable credentials file — at start-up, where a typo is easy to see.
    public convenience init(spool: Spool, destination: Destination, configuration: UploaderConfiguration = UploaderConfiguration()) throws(SpoolError) {
        try self.init(spool: spool, destination: destination, configuration: configuration, writeStreamService: nil)
    }

    /// - Parameter writeStreamService: the Storage Write API client for `destination.api` `.storageWrite`; nil for
    ///   the production client (tests pass one of their own).
    package init(
        spool: Spool, destination: Destination, configuration: UploaderConfiguration = UploaderConfiguration(),
        writeStreamService: (any WriteStreamService)?, storageWriteSettings: StorageWriteSettings = StorageWriteSettings()
    ) throws(SpoolError) {
        try destination.validate()
        try configuration.validate()
        self.spool = spool
        self.destination = destination
        self.configuration = configuration
        self.storageWriteSettings = storageWriteSettings
        let logger = configuration.logger ?? spool.configuration.logger ?? Logger(label: "spool", factory: { _ in SwiftLogNoOpLogHandler() })
        self.logger = logger
        let credentials: any AccessTokenProvider
        do throws(CredentialsError) {
            credentials = try configuration.credentials.makeProvider(endpoint: destination.endpoint)
        } catch {
            throw SpoolError(error)
        }
        self.credentials = credentials
        switch destination.api {
        case .insertAll:
            self.writeStreamService = nil
        case .storageWrite:
            if let writeStreamService {
                self.writeStreamService = writeStreamService
            } else {
                // A request must end while the lease it was sent under still runs, as insertAll's do (makeEngine).
                let timeout = min(configuration.requestTimeout, configuration.leaseDuration / 2)
                let http = HTTPClient.Configuration(connectTimeout: min(configuration.connectTimeout, timeout), totalTimeout: timeout)
                do throws(WriteStreamError) {
                    self.writeStreamService = try GRPCWriteStreamService(
                        endpoint: destination.writeEndpoint, accessToken: .provider(credentials, http: http),
                        configuration: GRPCWriteStreamService.Configuration(callTimeout: timeout, appendTimeout: timeout), logger: logger
                    )
                } catch {
                    throw SpoolError(.invalidConfiguration, "destination.writeEndpoint \(URLOrigin.of(destination.writeEndpoint)): \(error.message)")
                }
            }
        }
    }

    /// Where access tokens come from, for diagnostics (never a secret).
    public var credentialsDescription: String { credentials.sourceDescription }

    // MARK: Running as a service

    /// Drains until a graceful shutdown (then drains for at most `shutdownDrainTimeout`) or cancellation.
    ///
    /// - Throws: `SpoolError.alreadyRunning` when this uploader is running already.
    public func run() async throws {
        let alreadyRunning = control.withLock { control in
            defer { control.running = true }
            return control.running
        }
        guard !alreadyRunning else {
            throw SpoolError(.alreadyRunning, "this uploader is already running (call run() once per SpoolUploader)")
        }
        defer { control.withLock { $0 = Control() } }
        try? spool.recordDestination(destination)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let thread = Thread { [self] in
                        // Named from inside: Linux takes a thread's name only from the thread itself (≤ 15 bytes).
                        Thread.current.name = "spool-uploader"
                        runLoop()
                        continuation.resume()
                    }
                    thread.start()
                }
            } onCancel: {
                self.stop(drainFor: nil)
            }
        } onGracefulShutdown: {
            self.triggerGracefulShutdown()
        }
    }

    /// Asks a running uploader to make a last drain attempt (bounded by `shutdownDrainTimeout`) and return.
    public func triggerGracefulShutdown() {
        stop(drainFor: configuration.shutdownDrainTimeout)
    }

    /// Wakes the uploader now rather than at its next poll (e.g. after a burst of appends).
    public func wake() {
        wakeUp.signal()
    }

    private func stop(drainFor timeout: Duration?) {
        control.withLock { control in
            control.stopRequested = true
            if let timeout {
                control.drainDeadline = configuration.now() + timeout.inMilliseconds
            }
        }
        wakeUp.signal()
    }

    private var stopState: (stop: Bool, deadline: Int64?) {
        control.withLock { ($0.stopRequested, $0.drainDeadline) }
    }

    private func runLoop() {
        let lease = LeaseHolder(outbox: spool.outbox, duration: configuration.leaseDuration, now: configuration.now)
        let engine = makeEngine(control: DeliveryControl(
            lease: lease,
            stopRequested: { [self] in
                let state = stopState
                // A graceful shutdown that arrives during a pass bounds that pass too, not only the last one.
                return state.stop && (state.deadline.map { configuration.now() >= $0 } ?? true)
            },
            leaseGivenUp: { false }
        ))
        logger.info("spool uploader started", metadata: [
            "spool.holder": "\(lease.holder)", "spool.endpoint": "\(destination.endpoint)", "spool.api": "\(destination.api.rawValue)",
        ])
        defer {
            engine.finish()
            lease.release()
            logger.info("spool uploader stopped", metadata: ["spool.holder": "\(lease.holder)"])
        }
        // Set-up mistakes (no dataset, a missing table, columns that differ) show up once in the log at start.
        StartupPreflight.run(
            spool: spool, destination: destination, credentials: credentials, configuration: configuration, logger: logger,
            shouldContinue: { [self] in !stopState.stop }
        )
        var announcedWait = false
        var gaugesRecordedAt: Int64?
        while true {
            let state = stopState
            if state.stop {
                if let deadline = state.deadline, (try? lease.hold()) == true {
                    _ = try? engine.pass(until: deadline)
                }
                recordPendingGauges()
                return
            }
            var sleep = configuration.pollInterval
            do {
                if try lease.hold() {
                    announcedWait = false
                    let report = try engine.pass()
                    if let due = report.nextDueAt {
                        sleep = min(sleep, .milliseconds(max(due - configuration.now(), 10)))
                    }
                } else if !announcedWait, let other = lease.lastRefusal {
                    announcedWait = true
                    logger.info("another uploader holds the spool's lease; waiting", metadata: ["spool.lease_holder": "\(other.holder)"])
                }
            } catch {
                logger.info("spool uploader pass failed; retrying", metadata: ["spool.error": "\(error.message)"])
                sleep = configuration.initialBackoff
            }
            // status() reads the per-table running totals (a few rows, whatever the backlog); still not for every
            // pass of a busy uploader. A standby (another
            // process holds the lease) and a failing pass refresh them too, so alerts on them keep seeing the file.
            let now = configuration.now()
            if gaugesRecordedAt.map({ now - $0 >= configuration.gaugeInterval.inMilliseconds }) ?? true {
                gaugesRecordedAt = now
                recordPendingGauges()
            }
            _ = wakeUp.wait(timeout: .now() + .milliseconds(Int(max(sleep.inMilliseconds, 1))))
        }
    }

    /// Sets the pending rows and oldest pending age gauges of every table from the outbox, and the health gauges.
    private func recordPendingGauges() {
        guard let status = try? spool.status() else { return }
        spool.metrics.recordPending(status, now: configuration.now())
        spool.metrics.recordHealth(status, maxPendingRows: spool.configuration.maxPendingRows, maxPendingBytes: spool.configuration.maxPendingBytes)
    }

    private func makeEngine(control: DeliveryControl) -> DeliveryEngine {
        // A request must end while the lease it was sent under still runs (it is renewed before each request once a
        // third of it has passed): else a standby takes over and sends the same rows while this answer is awaited.
        let requestTimeout = min(configuration.requestTimeout, configuration.leaseDuration / 2)
        let http = HTTPClient.Configuration(
            connectTimeout: min(configuration.connectTimeout, requestTimeout), totalTimeout: requestTimeout
        )
        let client = BigQueryClient(
            endpoint: destination.endpoint, project: destination.project, credentials: credentials, http: http,
            compressRequests: configuration.compressRequests, logger: logger
        )
        let schemas = SchemaPolicy(configuration: spool.configuration, destination: destination)
        let fetchRemoteSchema = { (dataset: String, table: String) throws -> TableSchema in
            try TableSchema(json: .object(client.getTable(dataset: dataset, table: table).schema))
        }
        let transport: any DeliveryTransport
        if let writeStreamService {
            transport = StorageWriteTransport(
                service: writeStreamService, outbox: spool.outbox, destination: destination, settings: storageWriteSettings,
                requestRows: configuration.batchRows(for: destination.api), requestBytes: configuration.batchBytes, localSchemas: spool.configuration.schemas, fetchRemoteSchema: fetchRemoteSchema, now: configuration.now, logger: logger
            )
        } else {
            transport = InsertAllTransport(client: client, destination: destination, ignoreUnknownValues: schemas.ignoreUnknownValues)
        }
        return DeliveryEngine(
            spool: spool, transport: transport, destination: destination, schemas: schemas, fetchRemoteSchema: fetchRemoteSchema,
            control: control, configuration: configuration, logger: logger
        )
    }

    // MARK: Draining on demand

    /// What `drain` should do when another uploader holds the lease.
    public enum LeasePolicy: Sendable {
        /// Fail at once with `DrainOutcome.leaseHeld`.
        case refuse
        /// Wait for the lease (until the timeout).
        case wait
    }

    /// How an on-demand drain ended.
    public struct DrainOutcome: Sendable {
        public var report: DeliveryReport
        /// Pending rows left when it returned.
        public var remainingRows: Int
        /// Set when another uploader held the lease and the policy was `.refuse` (or waiting timed out).
        public var leaseHeldBy: UploaderLease?
        public var timedOut: Bool
        public var stopped: Bool
    }

    /// Uploads everything pending now on the calling thread, through the same code as the background uploader,
    /// until the outbox is empty, nothing more can be sent before `timeout`, or `shouldStop` says so (checked
    /// between batches: a batch in flight is always finished and applied). For `spoolctl drain` and tests.
    public func drain(
        timeout: Duration? = nil,
        tables: Set<String>? = nil,
        leasePolicy: LeasePolicy = .refuse,
        shouldStop: @escaping () -> Bool = { false },
        progress: @escaping (_ table: String, _ batch: DeliveryReport) -> Void = { _, _ in }
    ) throws(SpoolError) -> DrainOutcome {
        let deadline = timeout.map { configuration.now() + $0.inMilliseconds }
        let lease = LeaseHolder(outbox: spool.outbox, duration: configuration.leaseDuration, now: configuration.now)
        control.withLock { _ = $0.drainHolders.insert(lease.holder) }
        defer {
            lease.release()
            control.withLock { _ = $0.drainHolders.remove(lease.holder) }
        }
        try? spool.recordDestination(destination)
        var outcome = DrainOutcome(report: DeliveryReport(), remainingRows: 0, leaseHeldBy: nil, timedOut: false, stopped: false)

        while try !lease.hold() {
            if leasePolicy == .refuse || shouldStop() || (deadline.map { configuration.now() >= $0 } ?? false) {
                outcome.leaseHeldBy = lease.lastRefusal
                outcome.remainingRows = try spool.status().pendingRows
                return outcome
            }
            Thread.sleep(forTimeInterval: 0.2)
        }

        let engine = makeEngine(control: DeliveryControl(lease: lease, stopRequested: shouldStop, leaseGivenUp: { [self] in leaseReleased }))
        defer { engine.finish() }
        while true {
            let report = try engine.pass(until: deadline, only: tables, onBatch: progress)
            outcome.report.add(report)
            if shouldStop() {
                outcome.stopped = true
                break
            }
            if let deadline, configuration.now() >= deadline {
                outcome.timedOut = true
                break
            }
            // Nothing due now. Wait for the earliest retry when it comes before the deadline — without a deadline,
            // only for an ordinary backoff, not for a paused table or an exhausted quota.
            guard let due = report.nextDueAt else { break }
            let wait = due - configuration.now()
            if let deadline {
                guard due < deadline else { break }
            } else {
                guard wait <= configuration.maxBackoff.inMilliseconds else { break }
            }
            var waited: Int64 = 0
            while waited < wait && !shouldStop() {
                Thread.sleep(forTimeInterval: 0.05)
                waited += 50
            }
        }
        let status = try spool.status()
        outcome.remainingRows = status.tables.filter { tables?.contains($0.table) ?? true }.reduce(0) { $0 + $1.pendingRows }
        return outcome
    }
}

extension SpoolUploader {
    /// Gives up the lease of every `drain` running on this uploader, from any thread, for a process about to exit
    /// in the middle of one (`spoolctl drain` on a second Ctrl-C): the next uploader need not wait for the lease to
    /// expire. From then on, no drain of this uploader sends another request. Rows whose answer was not applied stay
    /// pending and are sent again later (BigQuery de-duplicates them by insert id).
    public func releaseLeaseNow() {
        let holders = control.withLock { control in
            control.leaseReleased = true
            return control.drainHolders
        }
        for holder in holders {
            try? spool.outbox.releaseLease(holder: holder)
        }
    }

    private var leaseReleased: Bool { control.withLock { $0.leaseReleased } }
}
