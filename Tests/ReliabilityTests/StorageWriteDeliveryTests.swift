import Foundation
import Spool
import SpoolTestSupport
import Testing

/// What a drain through the real gRPC client saw, checked once the blocking part is over.
private struct StorageWriteRun: Sendable {
    var acknowledged: [String]
    var stored: [String]
    var remaining: [Int]
    var streams: [String]
    var apiLine: String
}

extension Reliability {
    /// The uploader on `destination.api` = storageWrite, through `GRPCWriteStreamService`, against the emulator's
    /// Write API (an emulator of the test's own: bqemulator 1.4.0 can hang when its Write API and other suites'
    /// REST requests run at once).
    @Suite("Storage Write through gRPC", .serialized)
    struct StorageWriteDeliveryTests {
        @Test("rows appended before and after a restart land exactly once through the emulator's Write API, one COMMITTED stream per drain")
        func rowsLandOnceThroughGRPC() async throws {
            let run = try await onOwnThread { () throws -> StorageWriteRun in
                let directory = try TemporaryDirectory()
                let emulator = try Emulator.Instance(directory: directory)
                defer { emulator.stop() }
                let dataset = Emulator.uniqueDataset("swgrpc")
                try Emulator.createSeedTables(endpoint: emulator.endpoint, dataset: dataset, tables: ["user_search_events"])
                let destination = Destination(
                    project: Emulator.project, dataset: dataset, endpoint: emulator.endpoint, api: .storageWrite,
                    writeEndpoint: emulator.grpcEndpoint
                )
                var configuration = quickUploaderConfiguration()
                configuration.batchRows = 100
                let path = directory.file("spool.db").path
                var acknowledged: [String] = []
                var remaining: [Int] = []
                var streams: [String] = []
                var apiLine = ""
                // Two lives of the application on one spool file: the second reuses the first one's stream.
                for life in 0..<2 {
                    let spool = try Spool(path: path)
                    defer { spool.close() }
                    for index in 0..<250 {
                        let id = "sw-\(life)-\(index)"
                        try spool.append(json: searchEvent(id, index: index), to: "user_search_events", insertId: id)
                        acknowledged.append(id)
                    }
                    let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
                    let seen = LockedValue<Set<String>>([])
                    let outcome = try uploader.drain(timeout: .seconds(60), progress: { _, _ in
                        seen.update { $0.formUnion(((try? spool.writeStreams()) ?? []).map(\.stream)) }
                    })
                    remaining.append(outcome.remainingRows)
                    streams.append(contentsOf: seen.value.sorted())
                    apiLine = try spool.recordedDestination()?.api.rawValue ?? ""
                }
                let stored = try Emulator.values(endpoint: emulator.endpoint, dataset: dataset, table: "user_search_events")
                return StorageWriteRun(
                    acknowledged: acknowledged, stored: stored, remaining: remaining, streams: streams, apiLine: apiLine
                )
            }
            #expect(run.remaining == [0, 0])
            #expect(run.stored.count == run.acknowledged.count, "every acknowledged row stored once: \(run.stored.count) of \(run.acknowledged.count)")
            #expect(Set(run.stored) == Set(run.acknowledged))
            #expect(run.streams.count == 2 && Set(run.streams).count == 2, "one COMMITTED stream per drain, recorded in the spool file: \(run.streams)")
            #expect(run.apiLine == "storageWrite")
        }
    }
}
