import Foundation
import Logging
import Spool

/// The open spool and the library's own uploader for it, as `drain` and `run` both build them: the configuration
/// file's spool, its destination (else the one recorded in the spool file), its uploader settings, and
/// `--credentials` over them.
struct UploaderSetup {
    let spool: Spool
    let destination: Destination
    let uploader: SpoolUploader

    /// - Parameter logger: where the uploader logs (nil: nowhere — `drain` reports on its own).
    init(location: SpoolOptions, credentials: CredentialsOption, logger: Logger?) throws {
        let file = try location.loadConfiguration(credentials: credentials)
        let spool = try location.openSpool(file, readOnly: false)
        do {
            let destination = try DestinationLookup.destination(file: file, spool: spool)
            var configuration = file.uploader
            configuration.logger = logger
            self.uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
            self.destination = destination
            self.spool = spool
        } catch {
            spool.close()
            throw error
        }
    }
}
