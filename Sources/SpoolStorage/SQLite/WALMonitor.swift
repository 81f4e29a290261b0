import CSQLite
import Synchronization

/// Watches the WAL's size after every commit of a connection (SQLite's WAL hook).
///
/// Past `softLimitPages` it wakes the background checkpointer; past `hardLimitPages` (the checkpointer could not
/// keep up) the committing connection checkpoints itself, so the WAL stays bounded under a continuous writer.
package final class WALMonitor: Sendable {
    package let softLimitPages: Int32
    package let hardLimitPages: Int32
    private let wake: @Sendable () -> Void
    private let inlineCheckpoints = Atomic<Int>(0)

    package init(softLimitPages: Int32, hardLimitPages: Int32, wake: @escaping @Sendable () -> Void) {
        self.softLimitPages = softLimitPages
        self.hardLimitPages = max(hardLimitPages, softLimitPages)
        self.wake = wake
    }

    /// How many times a committing connection had to checkpoint itself.
    package var inlineCheckpointCount: Int { inlineCheckpoints.load(ordering: .relaxed) }

    func install(on handle: OpaquePointer) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(handle, { context, database, _, pages in
            guard let context else { return SQLITE_OK }
            let monitor = Unmanaged<WALMonitor>.fromOpaque(context).takeUnretainedValue()
            monitor.didCommit(database: database, pages: pages)
            return SQLITE_OK
        }, context)
    }

    private func didCommit(database: OpaquePointer?, pages: Int32) {
        if pages >= hardLimitPages {
            inlineCheckpoints.add(1, ordering: .relaxed)
            sqlite3_wal_checkpoint_v2(database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if pages >= softLimitPages {
            wake()
        }
    }
}
