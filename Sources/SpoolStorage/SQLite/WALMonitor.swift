import CSQLite
import Dispatch
import Synchronization

/// Watches the WAL after every commit of a connection (SQLite's WAL hook) and tells the background checkpointer
/// when to run.
///
/// The checkpointer is woken once `checkpointPages` frames have been written since its last checkpoint. Counting
/// from the WAL's size instead would wake it after every commit while it trails a continuous writer by a few frames,
/// keeping it busy — and appends slower — all the time. Once the WAL holds `restartPages` the checkpointer finishes
/// with a short writer-blocking step so that the WAL can start over. Past `hardLimitPages` (the checkpointer could
/// not keep up) the committing connection checkpoints itself, so the WAL stays bounded under a continuous writer.
package final class WALMonitor: Sendable {
    package let checkpointPages: Int32
    package let restartPages: Int32
    package let hardLimitPages: Int32
    private let inlineCheckpoints = Atomic<Int>(0)
    /// The WAL position the last checkpoint copied up to (in frames).
    private let backfilled = Atomic<Int32>(0)
    /// Set from a wake until the checkpointer takes it, so commits past the limit do not each signal the thread.
    private let wakePending = Atomic<Bool>(false)
    private let signal = DispatchSemaphore(value: 0)

    /// Limits in bytes, turned into WAL frames of `pageSize` bytes. The WAL starts over from half the maximum, or
    /// with `restartEarly` from `checkpointBytes`.
    ///
    /// `restartEarly` is for commits that are fsynced: an fsync after writing past the WAL file's end also commits
    /// the file's new size to the file system's journal, which made each fsync cost 2–10× one that overwrites blocks
    /// already written (measured on these machines' ext4). A WAL that starts over early is overwritten in place.
    package init(checkpointBytes: Int64, walMaxBytes: Int64, pageSize: Int64, restartEarly: Bool = false) {
        func pages(_ bytes: Int64) -> Int32 { Int32(clamping: max(1, bytes / max(pageSize, 512))) }
        checkpointPages = pages(checkpointBytes)
        hardLimitPages = max(pages(walMaxBytes), checkpointPages)
        restartPages = restartEarly ? checkpointPages : max(hardLimitPages / 2, checkpointPages)
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

    /// Asks the checkpointer to run now. Never blocks (it is called from inside commits).
    func wake() {
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) {
            signal.signal()
        }
    }

    /// The checkpointer's wait: returns after a wake or after `timeout`.
    func waitForWake(timeout: DispatchTimeInterval) {
        _ = signal.wait(timeout: .now() + timeout)
        wakePending.store(false, ordering: .releasing)
    }

    /// Records how far a checkpoint copied, as SQLite reports it (`pnCkpt`).
    func didCheckpoint(upTo frames: Int32) {
        backfilled.store(frames, ordering: .relaxed)
    }

    private func didCommit(database: OpaquePointer?, pages: Int32) {
        if pages >= hardLimitPages {
            var copied: Int32 = 0
            // BUSY: the checkpointer is at it right now; the next commit tries again.
            if sqlite3_wal_checkpoint_v2(database, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &copied) == SQLITE_OK {
                inlineCheckpoints.add(1, ordering: .relaxed)
                didCheckpoint(upTo: copied)
            }
            return
        }
        // A WAL smaller than the last checkpoint's position has started over since.
        let done = backfilled.load(ordering: .relaxed)
        let written = pages >= done ? pages - done : pages
        if written >= checkpointPages {
            wake()
        }
    }
}
