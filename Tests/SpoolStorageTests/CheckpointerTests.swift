import CSQLite
import Foundation
import Testing
@testable import SpoolStorage

@Suite("Checkpointer")
struct CheckpointerTests {
    @Test("a reader on an old snapshot holds no writers back in vain, and the WAL starts over soon after it finishes")
    func waitsOutAReaderWithoutHoldingWriters() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        // The WAL may start over from 2 MiB; no timer runs within the test, so only the checkpointer's own retries
        // can finish the job once the reader is gone.
        let outbox = try openOutbox(path) {
            $0.checkpointBytes = 64 << 10
            $0.walMaxBytes = 4 << 20
            $0.checkpointInterval = .seconds(600)
        }
        defer { outbox.close() }
        _ = try outbox.append(table: "t", insertId: "first", payload: payload(0), now: 0)

        // A reader inside a transaction, as a `sqlite3` shell left open or a long claim would be.
        var reader: OpaquePointer?
        #expect(sqlite3_open(path, &reader) == SQLITE_OK)
        defer { sqlite3_close(reader) }
        #expect(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM outbox;", nil, nil, nil) == SQLITE_OK)

        // ~2.5 MB of WAL: past the restart point, below the hard limit (where commits would checkpoint themselves).
        for index in 1...1_000 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        #expect(walFrames(path) > 2_000)
        usleep(20_000)
        #expect(outbox.checkpointWriterHolds.count == 0, "a FULL step ran, holding writers, while the reader pinned the WAL")

        #expect(sqlite3_exec(reader, "COMMIT", nil, nil, nil) == SQLITE_OK)
        let deadline = Date().addingTimeInterval(10)
        while outbox.checkpointWriterHolds.count == 0 && Date() < deadline { usleep(1_000) }
        #expect(outbox.checkpointWriterHolds.count >= 1, "the checkpointer gave up on the WAL once the reader had finished")

        // Everything is copied: the next commit starts the WAL over from its beginning.
        _ = try outbox.append(table: "t", insertId: "after", payload: payload(1_001), now: 0)
        #expect(walFrames(path) < 20)
        #expect(try rawSQLite(path, "SELECT count(*) FROM outbox") == [["1002"]])
    }

    @Test("writeback in small requests covers a whole file, and reports a missing one")
    func writesBackInChunks() throws {
        let directory = try TestDirectory()
        let path = directory.path("data")
        try Data(repeating: 7, count: 1 << 20).write(to: URL(fileURLWithPath: path))
        #expect(spool_write_back_in_chunks(path, 256 << 10) == 0)
        #expect(spool_write_back_in_chunks(path, 4096) == 0)
        #expect(spool_write_back_in_chunks(directory.path("missing"), 256 << 10) == ENOENT)
    }

    /// The WAL's last valid frame, from the header of the WAL index (the -shm file: `mxFrame`, a native-endian
    /// 32-bit integer at byte 16), as every connection sees it.
    private func walFrames(_ path: String) -> Int {
        guard let index = FileManager.default.contents(atPath: path + "-shm"), index.count >= 20 else { return -1 }
        return Int(index.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self) })
    }
}
