import BigQueryREST
import Logging

/// The uploader's start-up run of `Preflight`: once, on the uploader's own thread, each failure logged once as a
/// warning. It never throws and never touches `append`; whatever it finds, the uploader then runs as usual (a
/// missing table pauses only that table, and the rows wait on disk).
enum StartupPreflight {
    static func run(
        spool: Spool,
        destination: Destination,
        credentials: any AccessTokenProvider,
        configuration: UploaderConfiguration,
        logger: Logger,
        shouldContinue: () -> Bool
    ) {
        // The tables this uploader will send to: configured ones and those already waiting in the file.
        var tables = Set(spool.configuration.schemas.keys).union(destination.tables.keys)
        if let waiting = try? spool.outbox.tablesWithRows() { tables.formUnion(waiting) }
        let preflight = Preflight(
            destination: destination,
            credentials: credentials,
            schemas: spool.configuration.schemas,
            eventTables: tables.sorted(),
            // Small GETs: a short limit keeps a hung endpoint from holding up the first drain for long.
            http: HTTPClient.Configuration(connectTimeout: configuration.connectTimeout, totalTimeout: min(configuration.requestTimeout, .seconds(15))),
            logger: logger
        )
        let checks = preflight.run(shouldContinue: shouldContinue)
        for check in checks {
            var metadata: Logger.Metadata = ["spool.check": "\(check.kind.rawValue)"]
            if let subject = check.subject { metadata["spool.subject"] = "\(subject)" }
            if !check.details.isEmpty { metadata["spool.details"] = "\(check.details.joined(separator: "; "))" }
            if check.passed {
                logger.debug("spool preflight: \(check.message)", metadata: metadata)
            } else {
                // Info, not warning: a library logs at info or lower and leaves severity to the application.
                // The "spool preflight failed" prefix is stable, so it can be alerted on.
                logger.info("spool preflight failed: \(check.message)", metadata: metadata)
            }
        }
        let failures = checks.filter { !$0.passed }.count
        logger.info("spool preflight done", metadata: ["spool.checks": "\(checks.count)", "spool.failures": "\(failures)"])
    }
}
