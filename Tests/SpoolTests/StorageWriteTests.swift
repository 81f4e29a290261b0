import BigQueryStorageWrite
import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The uploader on the Storage Write API against an in-memory service that behaves as Google documents COMMITTED
/// streams: whatever fails, every row lands exactly once.
@Suite("Storage Write: exactly once")
struct StorageWriteTests {
    let directory: TemporaryDirectory
    let service = InMemoryWriteStreamService()
    let table = "user_search_events"
    let destination = Destination(
        project: "test-project", dataset: "analytics", endpoint: "http://127.0.0.1:9", api: .storageWrite,
        writeEndpoint: "http://127.0.0.1:9"
    )

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func openSpool() throws -> Spool {
        var configuration = Spool.Configuration()
        configuration.schemas = [table: SeedSchemas.searchWithRecords]
        return try Spool(path: directory.file("spool.db").path, configuration: configuration)
    }

    private func uploader(
        _ spool: Spool, service: InMemoryWriteStreamService? = nil, settings: StorageWriteSettings = StorageWriteSettings(),
        destination: Destination? = nil, _ configure: (inout UploaderConfiguration) -> Void = { _ in }
    ) throws -> SpoolUploader {
        var configuration = fastUploaderConfiguration()
        configuration.batchRows = 10
        configure(&configuration)
        return try SpoolUploader(
            spool: spool, destination: destination ?? self.destination, configuration: configuration,
            writeStreamService: service ?? self.service, storageWriteSettings: settings
        )
    }

    private func append(_ spool: Spool, _ ids: Range<Int>) throws {
        for index in ids { try spool.append(json: searchEvent("e\(index)"), to: table) }
    }

    /// Every id of `ids` stored once and nothing else, and no ALREADY_EXISTS ever covered rows that were not written.
    private func expectExactlyOnce(_ ids: [Int], service: InMemoryWriteStreamService? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
        let service = service ?? self.service
        let stored = service.eventIds(dataset: "analytics", table: table)
        #expect(stored.count == Set(stored).count, "no row stored twice", sourceLocation: sourceLocation)
        #expect(Set(stored) == Set(ids.map { "e\($0)" }), sourceLocation: sourceLocation)
        #expect(service.partialOverlaps == 0, sourceLocation: sourceLocation)
    }

    /// A clock a minute ahead: rows rescheduled by a backoff are due at once.
    private static let aMinuteLater: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) + 60_000 }

    @Test("a batch goes as several requests on one connection; after a lost answer the same requests go again, each ALREADY_EXISTS for all of its rows")
    func aBatchIsSentAsPipelinedRequests() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<10)
        let rowBytes = searchEvent("e0").utf8.count
        var settings = StorageWriteSettings()
        settings.requestBytes = rowBytes * 3 + 2
        settings.requestsPerBatch = 4
        service.inject(.loseAnswer)
        let outcome = try uploader(spool, settings: settings) { $0.batchBytes = 5_000_000; $0.now = Self.aMinuteLater }
            .drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(service.calls.map { $0.requests.map(\.offset) } == [[0, 3, 6, 9], [0, 3, 6, 9]], "the lost batch sent again as it was")
        #expect(service.calls.map { $0.requests.map(\.rows.count) }.first == [3, 3, 3, 1], "requests of at most requestBytes")
        expectExactlyOnce(Array(0..<10))
    }

    @Test("rows are encoded from the values local validation parsed, except in a batch of more than 2 MB of JSON, parsed one row at a time")
    func parsedRowsAreReusedWithinABudget() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<5)
        #expect(try uploader(spool).drain(timeout: .seconds(20)).remainingRows == 0)
        let small = try #require(service.calls.first)
        #expect(small.requests.allSatisfy { request in
            request.parsedRows == (try? request.rows.map { try JSONParser.parse($0) })
        }, "each row parsed once, by local validation")

        let large = String(repeating: "b", count: 100_000)
        for index in 5..<30 {
            _ = try spool.append(json: #"{"event_id":"e\#(index)","query":"\#(large)","timestamp":"2026-11-26T10:00:00Z"}"#, to: table)
        }
        var fourRequests = StorageWriteSettings()
        fourRequests.requestsPerBatch = 4
        #expect(try uploader(spool, settings: fourRequests).drain(timeout: .seconds(20)).remainingRows == 0)
        let calls = service.calls.dropFirst()
        #expect(calls.map { $0.requests.reduce(0) { $0 + $1.rows.count } } == [25], "one batch of 2.5 MB")
        #expect(calls.allSatisfy { $0.requests.allSatisfy { $0.parsedRows == nil } })
        expectExactlyOnce(Array(0..<30))
    }

    @Test("every row lands once through one COMMITTED stream, at offsets 0, 1, 2 … recorded in the spool file, and status shows the stream")
    func rowsLandOnceAtConsecutiveOffsets() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<25)
        let recorded = LockedValue<[WriteStreamState]>([])
        let outcome = try uploader(spool).drain(timeout: .seconds(20), progress: { _, _ in
            recorded.update { $0 = (try? spool.writeStreams()) ?? [] }
        })
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 25)
        expectExactlyOnce(Array(0..<25))
        #expect(service.calls.map { $0.requests.map(\.offset) } == [[0, 10], [20]], "batches of two requests of batchRows rows: no bisection")
        #expect(service.createdStreams == 1)
        let streams = recorded.value
        #expect(streams.map(\.table) == [table])
        #expect(streams.first?.stream == service.calls.first?.stream)
        #expect(streams.first?.nextOffset == 25)
        #expect(streams.first?.heldRows == 0)
        #expect(service.finalizedStreams == streams.map(\.stream), "finalized when the uploader stops, nothing waiting on it")
        #expect(try spool.writeStreams().isEmpty)
    }

    @Test("a lost answer (the batch applied, the connection cut): the same rows go again at the same offsets and land once")
    func lostAnswerIsResentAtTheSameOffsets() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<8)
        service.inject(.loseAnswer)
        let outcome = try uploader(spool).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 8)
        let calls = service.calls
        #expect(calls.count == 2)
        #expect(calls.count == 2 && calls[0].requests == calls[1].requests)
        expectExactlyOnce(Array(0..<8))
    }

    /// Sends `ids` once with the answer lost and leaves them waiting (a long backoff), holding their offsets.
    private func sendAndLoseTheAnswer(_ spool: Spool, _ ids: Range<Int>) throws {
        try append(spool, ids)
        service.inject(.loseAnswer)
        let first = try uploader(spool) { $0.initialBackoff = .seconds(30); $0.maxBackoff = .seconds(30) }.drain(timeout: .milliseconds(500))
        #expect(first.remainingRows == ids.count)
        #expect(try spool.writeStreams().first?.heldRows == ids.count)
    }

    @Test("a restart: a new Spool on the same file sends the rows holding offsets again at those offsets, before any new row")
    func restartResendsHeldRowsFirst() throws {
        do {
            let spool = try openSpool()
            try sendAndLoseTheAnswer(spool, 0..<10)
            spool.close()
        }
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 10..<15)
        let outcome = try uploader(spool) { $0.now = Self.aMinuteLater }.drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        let calls = service.calls
        #expect(calls.count == 3)
        #expect(calls.count == 3 && calls[1].requests == calls[0].requests, "the same rows at the same offsets")
        #expect(calls.last?.requests.map(\.offset) == [10])
        #expect(Set(calls.map(\.stream)).count == 1)
        expectExactlyOnce(Array(0..<15))
    }

    @Test("a crash after the rows were appended, before the answer was recorded: the next process's uploader finds them delivered")
    func crashBeforeTheAnswerIsRecorded() throws {
        do {
            // What a process killed mid-request leaves: offsets recorded, the rows appended, no verdict applied.
            let spool = try openSpool()
            try append(spool, 0..<10)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let stream = try service.createStream(project: "test-project", dataset: "analytics", table: table)
            #expect(try spool.outbox.openWriteStream(table: table, stream: stream, now: now))
            let rows = try spool.outbox.claim(table: table, now: now, maxRows: 10, maxBytes: 1 << 20, offsetsFirst: true)
            #expect(try spool.outbox.giveOffsets(table: table, stream: stream, requests: [rows.map(\.id)], now: now) == 0)
            _ = try service.append(stream: stream, schema: SeedSchemas.searchWithRecords, requests: [AppendRequest(offset: 0, rows: rows.map(\.payload))])
            spool.close()
        }
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 10..<12)
        let outcome = try uploader(spool).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 12)
        let calls = service.calls
        #expect(calls.count == 3)
        #expect(calls.count == 3 && calls[1].requests == calls[0].requests, "sent again as they were: ALREADY_EXISTS")
        expectExactlyOnce(Array(0..<12))
    }

    @Test("a crash part-way through a pipelined batch: the rest goes again in the requests first sent, never one larger request")
    func crashPartWayThroughAPipelinedBatch() throws {
        do {
            // Three requests sent; BigQuery wrote the first two; the process applied the first request and one row of
            // the second (a crash between two of the transactions that apply the answers' verdicts), then died.
            let spool = try openSpool()
            try append(spool, 0..<9)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            let stream = try service.createStream(project: "test-project", dataset: "analytics", table: table)
            #expect(try spool.outbox.openWriteStream(table: table, stream: stream, now: now))
            let rows = try spool.outbox.claim(table: table, now: now, maxRows: 9, maxBytes: 1 << 20, offsetsFirst: true)
            let ids = rows.map(\.id)
            #expect(try spool.outbox.giveOffsets(table: table, stream: stream, requests: [Array(ids[0..<3]), Array(ids[3..<6]), Array(ids[6..<9])], now: now) == 0)
            _ = try service.append(stream: stream, schema: SeedSchemas.searchWithRecords, requests: [
                AppendRequest(offset: 0, rows: rows[0..<3].map(\.payload)), AppendRequest(offset: 3, rows: rows[3..<6].map(\.payload)),
            ])
            try spool.outbox.apply(BatchResolution(delivered: Array(ids[0..<4])), table: table, now: now)
            #expect(try spool.writeStreams().first?.heldRows == 5)
            spool.close()
        }
        let spool = try openSpool()
        defer { spool.close() }
        let outcome = try uploader(spool).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 5)
        let resent = service.calls.dropFirst()
        #expect(resent.first?.requests.map(\.offset) == [4, 6], "the rest of the second request, then the third: ALREADY_EXISTS, then appended")
        #expect(resent.first?.requests.map(\.rows.count) == [2, 3])
        expectExactlyOnce(Array(0..<9))
    }

    @Test("a lease takeover: the next uploader sends the dead holder's rows at the offsets it gave them")
    func leaseTakeoverResendsAtTheSameOffsets() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try sendAndLoseTheAnswer(spool, 0..<10)
        // The first holder died without releasing its lease.
        guard case .acquired = try spool.outbox.acquireLease(holder: "dead-host:1:1", now: Int64(Date().timeIntervalSince1970 * 1000), ttl: .seconds(30)) else {
            Issue.record("the free lease should be taken")
            return
        }
        let refused = try uploader(spool).drain(timeout: .milliseconds(300))
        #expect(refused.leaseHeldBy?.holder == "dead-host:1:1")
        let outcome = try uploader(spool) { $0.now = Self.aMinuteLater }.drain(timeout: .seconds(20))
        #expect(outcome.leaseHeldBy == nil)
        #expect(outcome.remainingRows == 0)
        let calls = service.calls
        #expect(calls.count == 2 && calls[1].requests == calls[0].requests)
        expectExactlyOnce(Array(0..<10))
    }

    @Test("a stream finalized behind the uploader after a lost answer: its row count settles what landed, new rows go to a new stream")
    func finalizedStreamIsReplacedByItsRowCount() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try sendAndLoseTheAnswer(spool, 0..<10)
        let first = try #require(service.calls.first?.stream)
        service.finalizeBehindTheUploader(first)
        try append(spool, 10..<15)
        let outcome = try uploader(spool) { $0.now = Self.aMinuteLater }.drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.delivered == 15)
        #expect(service.createdStreams == 2)
        #expect(service.finalizedStreams.first == first)
        #expect(service.calls.last?.stream != first)
        #expect(service.calls.last?.requests.map(\.offset) == [0], "the new rows start the new stream")
        expectExactlyOnce(Array(0..<15))
    }

    @Test("a stream BigQuery forgot: the unacknowledged rows get offsets in a new stream and land once")
    func forgottenStreamIsReplaced() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<20)
        let service = self.service
        var settings = StorageWriteSettings()
        settings.requestsPerBatch = 1
        // Forgotten between the first batch and the second.
        let outcome = try uploader(spool, settings: settings).drain(timeout: .seconds(20), progress: { _, _ in
            if let first = service.calls.first?.stream, service.calls.count == 1 { service.forget(first) }
        })
        #expect(outcome.remainingRows == 0)
        #expect(service.createdStreams == 2)
        let calls = service.calls
        #expect(calls.count == 3)
        #expect(calls.count == 3 && calls[1].stream == calls[0].stream && calls[1].requests.map(\.offset) == [10])
        #expect(calls.count == 3 && calls[2].stream != calls[0].stream && calls[2].requests.map(\.offset) == [0])
        expectExactlyOnce(Array(0..<20))
    }

    @Test("row_errors: the named rows are dead-lettered with BigQuery's message, the rest land once at new offsets")
    func rowErrorsDeadLetterNamedRows() throws {
        let service = InMemoryWriteStreamService { json in json.contains("\"e3\"") || json.contains("\"e6\"") ? "Field response_time_ms: out of range" : nil }
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<10)
        let outcome = try uploader(spool, service: service).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.deadLettered == 2)
        #expect(outcome.report.delivered == 8)
        let letters = try spool.deadLetters()
        #expect(Set(letters.map { $0.payload.contains("\"e3\"") || $0.payload.contains("\"e6\"") }) == [true])
        #expect(letters.map(\.message) == ["Field response_time_ms: out of range", "Field response_time_ms: out of range"])
        #expect(letters.map(\.reason) == ["invalid", "invalid"])
        let calls = service.calls
        #expect(calls.count == 2, "no bisection: row_errors names the rows")
        #expect(calls.last?.requests.map(\.offset) == [0], "nothing was written: the rest start again at offset 0")
        #expect(calls.last?.requests.first?.rows.count == 8)
        expectExactlyOnce([0, 1, 2, 4, 5, 7, 8, 9], service: service)
    }

    @Test("rotation: a stream at its row limit is finalized and the next batch opens a new one; an idle stream is finalized between passes")
    func streamsRotateAndIdleStreamsAreFinalized() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<30)
        var settings = StorageWriteSettings()
        settings.maxStreamRows = 10
        settings.requestsPerBatch = 1
        settings.maintenanceInterval = .milliseconds(1)
        settings.idleAfter = .seconds(3600)
        let outcome = try uploader(spool, settings: settings).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(service.createdStreams == 3)
        #expect(service.calls.map { $0.requests.map(\.offset) } == [[0], [0], [0]])
        #expect(Set(service.calls.map(\.stream)).count == 3)
        // The third stream reached its limit too: finalized between passes, as nothing waited for it.
        #expect(service.finalizedStreams.count == 3)
        #expect(service.openStreams.isEmpty)
        #expect(try spool.writeStreams().isEmpty)
        expectExactlyOnce(Array(0..<30))


        // Idle: a stream that gave no row an offset for 30 minutes is finalized between passes.
        try append(spool, 30..<33)
        let logs = LogCapture()
        let clock = ManualClock(start: Int64(Date().timeIntervalSince1970 * 1000))
        let running = try uploader(spool) { $0.now = clock.read; $0.logger = logs.logger() }
        #expect(try running.drain(timeout: .seconds(20), progress: { _, _ in clock.advance(by: 1_800_000) }).remainingRows == 0)
        #expect(service.createdStreams == 4)
        #expect(service.openStreams.isEmpty)
        let finalized = logs.records.filter { $0.message == "write stream finalized" }.compactMap { $0.metadata["spool.reason"] }
        #expect(finalized.count == 1 && finalized[0].hasPrefix("idle since"), "\(finalized)")
        expectExactlyOnce(Array(0..<33))
    }

    @Test("permission denied pauses the table: its rows and their offsets are kept")
    func permissionDeniedPausesTheTable() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<5)
        service.inject(.fail(WriteStreamError(kind: .permission, status: "PERMISSION_DENIED", message: "bigquery.tables.updateData denied")))
        let outcome = try uploader(spool).drain(timeout: .seconds(2))
        #expect(outcome.remainingRows == 5)
        let status = try #require(try spool.status().tables.first)
        #expect(status.isPaused)
        #expect(status.pauseReason == "accessDenied")
        #expect(status.lastError?.contains("PERMISSION_DENIED") == true)
        #expect(try spool.writeStreams().first?.heldRows == 5)
        #expect(service.calls.count == 1)
    }

    @Test("a transient failure backs off and the batch goes again at the same offsets")
    func transientFailureRetriesAtTheSameOffsets() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<5)
        service.inject(.fail(WriteStreamError(kind: .transient, status: "UNAVAILABLE", message: "connection refused")))
        let outcome = try uploader(spool).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.retried == 5)
        let calls = service.calls
        #expect(calls.count == 2 && calls[0].requests == calls[1].requests)
        expectExactlyOnce(Array(0..<5))
    }

    @Test("drift: rows with a column BigQuery's table has and the schema file lacks are judged and written with BigQuery's schema, the column kept")
    func driftWritesWithTheRemoteSchema() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let localFields = SeedSchemas.searchWithRecords.fields.map(\.name)
        let remoteFields = localFields + ["experiment_arm"]
        // The seed's search table (SeedSchemas.searchWithRecords) with one more column.
        let extra = #", {"name": "experiment_arm", "type": "STRING", "mode": "NULLABLE"}]"#
        stub.createTable(dataset: "analytics", table: table, schemaFields: String(SeedSchemas.searchWithRecordsFields.dropLast()) + extra)
        service.setTableFields(dataset: "analytics", table: table, Set(remoteFields))
        var destination = self.destination
        destination.endpoint = stub.endpoint
        let spool = try openSpool()
        defer { spool.close() }
        for index in 0..<4 {
            var event = searchEvent("e\(index)")
            event.removeLast()
            _ = try spool.append(json: event + #","experiment_arm":"b"}"#, to: table)
        }
        let outcome = try uploader(spool, destination: destination).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(outcome.report.deadLettered == 0, "the local file alone would refuse the column")
        #expect(try spool.status().tables.first?.schemaNote?.contains("differs") == true)
        #expect(service.calls.map(\.schemaFields) == [remoteFields], "written with BigQuery's schema, which has the column")
        expectExactlyOnce(Array(0..<4))
    }

    @Test("a refused writer schema: the table's schema is fetched once and rows are written with it; refused again, the table pauses")
    func refusedWriterSchemaIsFetchedOnce() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let remoteFields = ["event_id", "user_id", "query", "response_time_ms", "timestamp"]
        let fieldsJSON = remoteFields.map { name in
            #"{"name": "\#(name)", "type": "\#(name == "response_time_ms" ? "INTEGER" : name == "timestamp" ? "TIMESTAMP" : "STRING")", "mode": "NULLABLE"}"#
        }.joined(separator: ", ")
        stub.createTable(dataset: "analytics", table: table, schemaFields: "[\(fieldsJSON)]")
        service.setTableFields(dataset: "analytics", table: table, Set(remoteFields))
        var destination = self.destination
        destination.endpoint = stub.endpoint
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<5)
        let outcome = try uploader(spool, destination: destination).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        let calls = service.calls
        #expect(calls.count == 2)
        #expect(calls.first?.schemaFields.count == SeedSchemas.searchWithRecords.fields.count, "the schema file first")
        #expect(calls.last?.schemaFields == remoteFields, "then BigQuery's own")
        #expect(try spool.status().tables.first?.schemaNote?.contains("differs") == true, "drift was checked")
        expectExactlyOnce(Array(0..<5))

        service.setTableFields(dataset: "analytics", table: table, ["event_id"])
        try append(spool, 5..<7)
        let refused = try uploader(spool, destination: destination).drain(timeout: .seconds(2))
        #expect(refused.remainingRows == 2)
        let status = try #require(try spool.status().tables.first)
        #expect(status.pauseReason == "invalidSchema")
        #expect(service.calls.count == 4, "the remote schema fetched once more, then the table paused")
    }

    @Test("rows holding offsets evicted by the cap before their retry: the gap ends the stream, whose row count settles the rest")
    func evictedHeldRowsAreSettledByTheRowCount() throws {
        var configuration = Spool.Configuration()
        configuration.schemas = [table: SeedSchemas.searchWithRecords]
        configuration.maxPendingRows = 10
        configuration.capPolicy = .dropOldest
        let spool = try Spool(path: directory.file("spool.db").path, configuration: configuration)
        defer { spool.close() }
        try append(spool, 0..<10)
        // Not applied: BigQuery has nothing of them.
        service.inject(.fail(WriteStreamError(kind: .transient, status: "UNAVAILABLE", message: "connection refused")))
        let first = try uploader(spool) { $0.initialBackoff = .seconds(30); $0.maxBackoff = .seconds(30) }.drain(timeout: .milliseconds(500))
        #expect(first.remainingRows == 10)
        try append(spool, 10..<12)
        #expect(try spool.writeStreams().first?.heldRows == 8, "e0 and e1 evicted")
        let outcome = try uploader(spool) { $0.now = Self.aMinuteLater }.drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(service.createdStreams == 2)
        #expect(service.calls[1].requests.map(\.offset) == [2], "sent again at the offsets they hold")
        expectExactlyOnce(Array(2..<12))
    }

    @Test("RESOURCE_EXHAUSTED backs the table off for at least the quota backoff, rows and offsets kept")
    func quotaBacksOffLong() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<3)
        service.inject(.fail(WriteStreamError(kind: .quota, status: "RESOURCE_EXHAUSTED", message: "Exceeds quota")))
        let outcome = try uploader(spool).drain(timeout: .seconds(1))
        #expect(outcome.remainingRows == 3)
        let status = try #require(try spool.status().tables.first)
        #expect(status.isPaused == false)
        #expect((status.backoffUntil ?? 0) >= Int64(Date().timeIntervalSince1970 * 1000) + 590_000)
        #expect(try spool.writeStreams().first?.heldRows == 3)
    }

    @Test("a row the client cannot encode is dead-lettered with its message; the rest land once at new offsets")
    func unencodableRowIsDeadLettered() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<5)
        service.inject(.fail(WriteStreamError(kind: .invalidRow(index: 2), message: "field timestamp: cannot encode")))
        let outcome = try uploader(spool).drain(timeout: .seconds(20))
        #expect(outcome.remainingRows == 0)
        #expect(try spool.deadLetters().map(\.message) == ["field timestamp: cannot encode"])
        #expect(try spool.deadLetters().first?.payload.contains("\"e2\"") == true)
        #expect(service.calls.last?.requests.map(\.offset) == [0])
        expectExactlyOnce([0, 1, 3, 4])
    }

    @Test("storageWrite without a client of the test's own gets the gRPC client; a write endpoint that is no URL is refused at start, typed")
    func storageWriteMakesTheGRPCClient() throws {
        let spool = try openSpool()
        defer { spool.close() }
        try append(spool, 0..<3)
        // Nothing listens on the write endpoint's port: the gRPC client's failures leave every row pending.
        let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: fastUploaderConfiguration())
        let outcome = try uploader.drain(timeout: .seconds(3))
        #expect(outcome.remainingRows == 3)
        #expect(outcome.report.delivered == 0)
        #expect(try spool.status().tables.first?.lastError?.isEmpty == false)
        var wrong = destination
        wrong.writeEndpoint = "bigquerystorage.googleapis.com:443"
        let error = #expect(throws: SpoolError.self) {
            _ = try SpoolUploader(spool: spool, destination: wrong, configuration: fastUploaderConfiguration())
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains("writeEndpoint") == true)
    }
}
