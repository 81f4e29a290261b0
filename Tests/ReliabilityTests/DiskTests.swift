import Foundation
import Spool
import SpoolTestSupport
import Testing

extension Reliability {
    /// The spool at its cap: `append` must refuse fast with a typed error, leave the file sound, and work again as soon
    /// as the uploader has made room.
    @Suite("Full spool", .serialized)
    struct DiskTests {
        enum Cap: String, CaseIterable, Sendable {
            case pendingRows, databaseBytes
        }

        @Test("at its cap append throws the typed full error, the file stays sound, and appends resume after a drain", arguments: Cap.allCases)
        func aFullSpoolRefusesThenRecovers(cap: Cap) throws {
            let endpoint = try Emulator.url()
            let dataset = Emulator.uniqueDataset("disk")
            try Emulator.createSeedTables(endpoint: endpoint, dataset: dataset, tables: ["user_search_events"])
            let directory = try TemporaryDirectory()
            var configuration = Spool.Configuration()
            let expectedCode: SpoolError.Code
            switch cap {
            case .pendingRows:
                configuration.maxPendingRows = 500
                expectedCode = .spoolFull
            case .databaseBytes:
                configuration.maxDatabaseBytes = 256 * 1024
                expectedCode = .diskFull
            }
            let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
            defer { spool.close() }

            var acknowledged: Set<String> = []
            var refusals: [SpoolError] = []
            var refusalTimes = LatencySample()
            let clock = ContinuousClock()
            var index = 0
            while refusals.count < 20, index < 100_000 {
                let id = "full-\(index)"
                let began = clock.now
                do throws(SpoolError) {
                    try spool.append(json: searchEvent(id, index: index), to: "user_search_events", insertId: id)
                    acknowledged.insert(id)
                } catch {
                    refusalTimes.record(clock.now - began)
                    refusals.append(error)
                }
                index += 1
            }
            print("disk (\(cap)): full after \(acknowledged.count) rows; refused append \(refusalTimes.summary)")
            #expect(refusals.count == 20, "the cap was reached")
            #expect(refusals.allSatisfy { $0.code == expectedCode }, "\(Set(refusals.map { "\($0.code)" }))")
            #expect(try spool.status().pendingRows == acknowledged.count, "a refused append wrote nothing")
            #expect(try spool.outbox.check(full: true) == ["ok"])

            // The uploader makes room; then appends succeed again.
            let uploader = try SpoolUploader(
                spool: spool, destination: Destination(project: Emulator.project, dataset: dataset, endpoint: endpoint),
                configuration: quickUploaderConfiguration()
            )
            let drained = try uploader.drain(timeout: .seconds(60))
            #expect(drained.remainingRows == 0)
            for more in 0..<100 {
                let id = "again-\(more)"
                try spool.append(json: searchEvent(id, index: more), to: "user_search_events", insertId: id)
                acknowledged.insert(id)
            }
            #expect(try uploader.drain(timeout: .seconds(60)).remainingRows == 0)
            #expect(try spool.outbox.check(full: true) == ["ok"])
            let stored = try Emulator.values(endpoint: endpoint, dataset: dataset, table: "user_search_events")
            let tally = DeliveryTally(acknowledged: acknowledged, stored: stored, deadLettered: try spool.deadLetteredEventIds())
            tally.report("disk-\(cap.rawValue)")
            #expect(tally.lost == 0)
            #expect(tally.delivered == acknowledged.count)
            #expect(tally.duplicated == 0)
        }
    }
}
