import Dispatch
import Foundation
import Synchronization

/// Set by the first Ctrl-C (SIGINT) or SIGTERM; a long operation polls it between batches, so it stops after
/// the batch in flight and loses nothing.
final class InterruptFlag: Sendable {
    private let raised = Atomic<Int>(0)

    var isRaised: Bool { raised.load(ordering: .acquiring) > 0 }

    /// Counts one signal and returns how many arrived so far.
    fileprivate func raise() -> Int {
        raised.add(1, ordering: .acquiringAndReleasing).newValue
    }
}

/// Routes SIGINT and SIGTERM to an `InterruptFlag` through dispatch signal sources (no work in a signal handler).
/// A second signal runs `beforeExit` (e.g. to give up the uploader lease) and exits at once with 128 + the signal's
/// number, as a shell reports a command killed by it (130 for Ctrl-C, 143 for SIGTERM): rows whose answer was not
/// applied yet stay in the outbox and are sent again (BigQuery de-duplicates them by insert id). Keep the value
/// alive while the operation runs.
struct InterruptHandler {
    let flag = InterruptFlag()
    private var sources: [any DispatchSourceSignal] = []

    /// Installs the handlers; `announce` runs on the first signal (e.g. to say what happens next). With
    /// `secondSignalExits` false, later signals only count (for commands with nothing in flight, like a watch);
    /// else a second signal runs `beforeExit` and exits.
    static func install(
        secondSignalExits: Bool = true,
        announce: @escaping @Sendable () -> Void,
        beforeExit: @escaping @Sendable () -> Void = {}
    ) -> InterruptHandler {
        var handler = InterruptHandler()
        let flag = handler.flag
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                let count = flag.raise()
                if count == 1 {
                    announce()
                } else if secondSignalExits {
                    Diagnostics.warning("stopping now; rows of the batch in flight stay pending and are sent again later")
                    beforeExit()
                    exit(128 + number)
                }
            }
            source.resume()
            handler.sources.append(source)
        }
        return handler
    }
}
