import Foundation
import Synchronization
import Testing
@testable import SpoolStorage

@Suite("Write gate")
struct WriteGateTests {
    @Test("the holder sees a writer waiting at the gate, and no longer once it got in")
    func holderSeesWaitingWriters() throws {
        let gate = WriteGate()
        #expect(!gate.hasWaiters)
        let seenInside = Flag(true)
        let waiterDone = DispatchSemaphore(value: 0)
        let sawWaiter = try gate.withLock { () throws(SpoolError) -> Bool in
            Thread {
                try? gate.withLock { () throws(SpoolError) in seenInside.set(gate.hasWaiters) }
                waiterDone.signal()
            }.start()
            let deadline = Date().addingTimeInterval(10)
            while !gate.hasWaiters && Date() < deadline { usleep(100) }
            return gate.hasWaiters
        }
        #expect(sawWaiter, "a writer blocked at the gate counts as waiting")
        #expect(waiterDone.wait(timeout: .now() + 10) == .success)
        #expect(!seenInside.value, "inside the gate, the writer no longer counts as waiting")
        #expect(!gate.hasWaiters)
    }

    @Test("an append during a long apply gets in before the apply ends, and both complete with exact totals")
    func appendsGetInDuringALongApply() throws {
        let directory = try TestDirectory()
        let outbox = try openOutbox(directory.path("spool.db"))
        defer { outbox.close() }
        let rows = 40_000
        for index in 0..<rows {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        let batch = try outbox.claim(table: "t", now: 0, maxRows: rows, maxBytes: 1 << 30)
        #expect(batch.count == rows)

        let resolution = BatchResolution(delivered: batch.map(\.id), tableOutcome: .succeeded)
        let applied = Flag(false)
        let started = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let failed = Flag(false)
        Thread {
            started.signal()
            do {
                try outbox.apply(resolution, table: "t", now: 1)  // ~0.1 s in a debug build
            } catch {
                failed.set(true)
            }
            applied.set(true)
            done.signal()
        }.start()
        started.wait()
        usleep(20_000)
        _ = try outbox.append(table: "t", insertId: "late", payload: payload(rows), now: 2)
        let appliedBeforeAppendReturned = applied.value
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(!failed.value)
        #expect(!appliedBeforeAppendReturned, "the append waited for one transaction of the apply, not all of them")
        let left = try outbox.claim(table: "t", now: 10, maxRows: 10, maxBytes: 1 << 30)
        #expect(left.map(\.insertId) == ["late"])
        #expect(try outbox.pendingTotals().rows == 1)
    }
}

/// A flag threads share.
private final class Flag: Sendable {
    private let state: Atomic<Bool>
    init(_ value: Bool) { state = Atomic(value) }
    var value: Bool { state.load(ordering: .acquiring) }
    func set(_ value: Bool) { state.store(value, ordering: .releasing) }
}
