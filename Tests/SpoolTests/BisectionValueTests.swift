import Foundation
@testable import Spool
import SpoolTestSupport
import Testing

/// `Bisection` on its own: driven through a `send` closure that answers in transport-neutral terms.
@Suite("Bisection as a value")
struct BisectionValueTests {
    static let now: Int64 = 1_800_000_000_000
    static let refused = TransportFailure(action: .bisect, reason: "invalid", message: "Request payload size exceeds the limit: 10485760 bytes.", status: "HTTP 400", description: "HTTP 400 invalid")
    static let serverError = TransportFailure(action: .serverError, reason: "internalError", message: "An internal error occurred", status: "HTTP 500", description: "HTTP 500 internalError")
    static let unavailable = TransportFailure(action: .retry, reason: "backendError", message: "try later", status: "HTTP 503", description: "HTTP 503 backendError")

    /// Answers like a server that refuses any request holding `poison` with `failure` and stores the rest; counts requests.
    final class PoisonSend {
        let poison: Set<Int64>
        let failure: TransportFailure
        var requests = 0
        /// Requests (1-based) answered with `unavailable` instead.
        var unavailableRequests: Set<Int> = []

        init(poison: Set<Int64>, failure: TransportFailure) {
            self.poison = poison
            self.failure = failure
        }

        func send(_ rows: ArraySlice<OutboxRow>) -> TransportOutcome {
            requests += 1
            if unavailableRequests.contains(requests) { return .failed(BisectionValueTests.unavailable) }
            if rows.contains(where: { poison.contains($0.id) }) { return .failed(failure) }
            return .answered(rows.map { _ in .accepted })
        }
    }

    static func resolve(_ bisection: inout Bisection, _ rows: [OutboxRow], refusal: TransportFailure, server: PoisonSend) -> BatchResolution {
        bisection.resolve(rows[...], table: "t", refusal: refusal, judge: exactJudge(), now: { now }, send: server.send)
    }

    @Test("a poison row refused with 400 is isolated at the first, middle or last position; the others are delivered", arguments: [0, 7, 15])
    func poisonIsIsolated(position: Int) throws {
        let claimed = try ClaimedRows(count: 16)
        defer { claimed.close() }
        let poisonID = claimed.rows[position].id
        let server = PoisonSend(poison: [poisonID], failure: Self.refused)
        var bisection = Bisection(poisonStrikes: 3, recentWindow: .seconds(64))
        let resolution = Self.resolve(&bisection, claimed.rows, refusal: Self.refused, server: server)
        #expect(resolution.deadLettered.map(\.id) == [poisonID])
        #expect(resolution.deadLettered.first?.reason == DeadLetterReason(reason: "invalid", message: Self.refused.message))
        #expect(Set(resolution.delivered) == Set(claimed.rows.map(\.id)).subtracting([poisonID]))
        #expect(resolution.retried.isEmpty)
        guard case .succeeded = resolution.tableOutcome else {
            Issue.record("the table succeeded: \(String(describing: resolution.tableOutcome))")
            return
        }
        #expect(server.requests <= 2 * 4, "about two requests per level of a 16-row batch, not one per row")
    }

    @Test("server errors: the first strike backs off, the second bisects, and the lone row is tried alone before it is poison")
    func serverErrorsStrikeThenBisect() throws {
        let claimed = try ClaimedRows(count: 8)
        defer { claimed.close() }
        let poisonID = claimed.rows[5].id
        let server = PoisonSend(poison: [poisonID], failure: Self.serverError)
        var bisection = Bisection(poisonStrikes: 3, recentWindow: .seconds(64))

        let first = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        #expect(server.requests == 0)
        #expect(first.retried.count == 8 && first.deadLettered.isEmpty && first.delivered.isEmpty)

        let second = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        #expect(second.deadLettered.map(\.id) == [poisonID])
        #expect(second.deadLettered.first?.reason.reason == "internalError")
        #expect(second.deadLettered.first?.reason.message == "An internal error occurred (HTTP 500 for this row alone, 3 times, while the rest of its batch was accepted)")
        #expect(Set(second.delivered) == Set(claimed.rows.map(\.id)).subtracting([poisonID]))
        #expect(!bisection.isUnfinished("t"))
    }

    @Test("a transient failure mid-bisection backs off what is unresolved; the next server error resumes bisecting at once")
    func transientFailureThenResumption() throws {
        let claimed = try ClaimedRows(count: 8)
        defer { claimed.close() }
        let poisonID = claimed.rows[6].id
        let server = PoisonSend(poison: [poisonID], failure: Self.refused)
        // The second request (the right half) and both of its immediate retries find the service unavailable.
        server.unavailableRequests = [2, 3, 4]
        var bisection = Bisection(poisonStrikes: 3, recentWindow: .seconds(64))

        let cut = Self.resolve(&bisection, claimed.rows, refusal: Self.refused, server: server)
        #expect(server.requests == 4)
        #expect(Set(cut.delivered) == Set(claimed.rows[0..<4].map(\.id)), "the left half was accepted")
        #expect(Set(cut.retried.map(\.id)) == Set(claimed.rows[4..<8].map(\.id)), "the rest waits for the backoff")
        #expect(cut.retried.allSatisfy { $0.error == Self.unavailable.description })
        #expect(cut.deadLettered.isEmpty)
        #expect(bisection.isUnfinished("t"))

        // The rows left come back as a batch and get a server error once: no second strike is needed.
        let rest = Array(claimed.rows[4..<8])
        let resumed = PoisonSend(poison: [poisonID], failure: Self.serverError)
        let second = bisection.resolve(rest[...], table: "t", refusal: Self.serverError, judge: exactJudge(), now: { Self.now }, send: resumed.send)
        #expect(resumed.requests > 0, "bisected at the first server error")
        #expect(second.deadLettered.map(\.id) == [poisonID])
        #expect(Set(second.delivered) == Set(rest.map(\.id)).subtracting([poisonID]))
        #expect(!bisection.isUnfinished("t"))
    }

    @Test("when every request fails with a server error, it is an outage: nothing is dead-lettered and everything backs off")
    func anOutageIsNotPoison() throws {
        let claimed = try ClaimedRows(count: 16)
        defer { claimed.close() }
        let server = PoisonSend(poison: Set(claimed.rows.map(\.id)), failure: Self.serverError)
        var bisection = Bisection(poisonStrikes: 3, recentWindow: .seconds(64))
        _ = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        let resolution = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        #expect(resolution.deadLettered.isEmpty)
        #expect(resolution.delivered.isEmpty)
        #expect(Set(resolution.retried.map(\.id)) == Set(claimed.rows.map(\.id)))
        #expect(server.requests <= 4 + 2, "a probe down one branch: log2(16) + 2 requests, got \(server.requests)")
        #expect(!bisection.isUnfinished("t"))
    }

    @Test("a lone row failing with server errors is dead-lettered only after its strikes, and only soon after an accepted request")
    func aLoneRowNeedsStrikesAndRecentAcceptance() throws {
        let claimed = try ClaimedRows(count: 1)
        defer { claimed.close() }
        let server = PoisonSend(poison: [claimed.rows[0].id], failure: Self.serverError)
        var outage = Bisection(poisonStrikes: 2, recentWindow: .seconds(64))
        let withoutAcceptance = (0..<3).map { _ in Self.resolve(&outage, claimed.rows, refusal: Self.serverError, server: server) }
        #expect(withoutAcceptance.allSatisfy { $0.deadLettered.isEmpty && $0.retried.count == 1 }, "nothing was accepted lately: an outage")

        var bisection = Bisection(poisonStrikes: 2, recentWindow: .seconds(64))
        // Another batch was accepted a second ago.
        bisection.noteAnswered([], now: Self.now - 1_000)
        let first = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        let second = Self.resolve(&bisection, claimed.rows, refusal: Self.serverError, server: server)
        #expect(first.deadLettered.isEmpty && first.retried.count == 1, "one strike backs off")
        #expect(second.deadLettered.map(\.id) == [claimed.rows[0].id])
        #expect(server.requests == 0, "decided from the strikes; nothing more sent")
    }
}
