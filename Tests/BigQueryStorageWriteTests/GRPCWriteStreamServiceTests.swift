import BigQueryREST
import BigQueryStorageWrite
import Foundation
import Logging
import SpoolSchema
import SpoolTestSupport
import StorageWriteTestSupport
import Synchronization
import Testing

/// The gRPC client against the test server (Tests/StorageWriteTestSupport), which answers what the emulator
/// cannot: row errors, streams finalized or forgotten behind the client's back, answers lost with the connection.
@Suite(.serialized) struct GRPCWriteStreamServiceTests {
    static let schema = try! TableSchema(fields: [
        FieldSchema(name: "event_id", type: .string, mode: .required),
        FieldSchema(name: "n", type: .integer),
    ])
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func rows(_ ids: ClosedRange<Int>) -> [String] {
        ids.map { #"{"event_id": "e\#($0)", "n": \#($0)}"# }
    }

    static func service(_ server: BigQueryWriteTestServer, token: String? = nil) throws -> GRPCWriteStreamService {
        try GRPCWriteStreamService(
            endpoint: server.endpoint, accessToken: WriteAccessToken(fetch: { token }),
            configuration: .init(callTimeout: .seconds(10), appendTimeout: .seconds(10)), logger: logger)
    }

    @Test func rowsAppendPipelinedAtTheirOffsetsOnOneConnectionWithAuthorizationAndRoutingHeaders() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server, token: "token-1")
        let (stream, first, second) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let first = try service.append(
                stream: stream, schema: Self.schema,
                requests: [AppendRequest(offset: 0, rows: Self.rows(1...2)), AppendRequest(offset: 2, rows: Self.rows(3...3))])
            let second = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 3, rows: Self.rows(4...5))])
            return (stream, first, second)
        }
        #expect(stream == "projects/p/datasets/d/tables/t/streams/test-1")
        #expect(first == [.appended(offset: 0), .appended(offset: 2)])
        #expect(second == [.appended(offset: 3)])
        let encoder = try ProtoRowEncoder(schema: Self.schema)
        #expect(server.rows(of: stream) == (try Self.rows(1...5).map { Data(try encoder.encode($0)) }))
        // One connection for both appends; the writer schema on its first request only.
        #expect(server.connections == 1)
        #expect(server.writerSchemas == [encoder.descriptor])
        let calls = server.calls
        #expect(calls.map(\.method) == ["CreateWriteStream", "AppendRows"])
        #expect(calls.allSatisfy { $0.authorization == "Bearer token-1" })
        #expect(calls[0].requestParams == "parent=projects%2Fp%2Fdatasets%2Fd%2Ftables%2Ft")
        #expect(calls[1].requestParams == "write_stream=projects%2Fp%2Fdatasets%2Fd%2Ftables%2Ft%2Fstreams%2Ftest-1")
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func aResentOffsetIsAlreadyExistsAndOneBeyondTheEndIsOutOfRangeOnTheSameConnection() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        let (stream, outcomes) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let outcomes = try service.append(
                stream: stream, schema: Self.schema,
                requests: [
                    AppendRequest(offset: 0, rows: Self.rows(1...2)), AppendRequest(offset: 0, rows: Self.rows(1...2)),
                    AppendRequest(offset: 5, rows: Self.rows(6...6)), AppendRequest(offset: 2, rows: Self.rows(3...3)),
                ])
            return (stream, outcomes)
        }
        #expect(outcomes.count == 4)
        #expect(outcomes[0] == .appended(offset: 0))
        #expect(outcomes[1] == .alreadyExists)
        guard case .outOfRange(let message) = outcomes[2] else {
            Issue.record("expected outOfRange, got \(outcomes[2])")
            return
        }
        #expect(message.contains("beyond"))
        #expect(outcomes[3] == .appended(offset: 2))
        #expect(server.rows(of: stream).count == 3)
        #expect(server.connections == 1)
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func rowErrorsAppendNothingOfTheRequestAndNameItsRows() async throws {
        let server = try await BigQueryWriteTestServer.start()
        server.answerRowErrors { rows in
            rows.enumerated().compactMap { index, row in
                String(decoding: row, as: UTF8.self).contains("e2") ? (index, "Field n: bad value") : nil
            }
        }
        let service = try Self.service(server)
        let (stream, refused, retried) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let refused = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...3))])
            let retried = try service.append(
                stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...1) + Self.rows(3...3))])
            return (stream, refused, retried)
        }
        #expect(refused == [.rowErrors([AppendOutcome.RowFailure(index: 1, code: "FIELDS_ERROR", message: "Field n: bad value")])])
        #expect(retried == [.appended(offset: 0)])
        #expect(server.rows(of: stream).count == 2)
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func aStreamFinalizedElsewhereIsUnusableAndFinalizingTwiceSucceeds() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        let (outcomes, firstCount, secondCount) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            _ = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...2))])
            server.finalize(stream)
            let outcomes = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 2, rows: Self.rows(3...3))])
            return (outcomes, try service.finalizeStream(stream), try service.finalizeStream(stream))
        }
        guard case .streamUnusable(let message) = outcomes.first, outcomes.count == 1 else {
            Issue.record("expected streamUnusable, got \(outcomes)")
            return
        }
        #expect(message.contains("finalized"))
        #expect(firstCount == 2)
        #expect(secondCount == 2)
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func aForgottenStreamMakesEveryUnansweredRequestUnusableAndANewStreamWorks() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        let (outcomes, finalizeError, next) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            server.forget(stream)
            let outcomes = try service.append(
                stream: stream, schema: Self.schema,
                requests: [AppendRequest(offset: 0, rows: Self.rows(1...1)), AppendRequest(offset: 1, rows: Self.rows(2...2))])
            let finalizeError = Result { () throws(WriteStreamError) in try service.finalizeStream(stream) }
            let replacement = try service.createStream(project: "p", dataset: "d", table: "t")
            let next = try service.append(stream: replacement, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...2))])
            return (outcomes, finalizeError, next)
        }
        #expect(outcomes.count == 2)
        #expect(outcomes.allSatisfy { if case .streamUnusable = $0 { true } else { false } })
        guard case .failure(let error) = finalizeError else {
            Issue.record("finalizing a forgotten stream succeeded")
            return
        }
        #expect(error.kind == .notFound)
        #expect(error.status == "NOT_FOUND")
        #expect(next == [.appended(offset: 0)])
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func anAnswerLostWithTheConnectionThrowsTransientAndTheResendIsAlreadyExists() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        server.dropConnectionAfterNextAppend()
        let (stream, failure, resent) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let failure = Result { () throws(WriteStreamError) in
                try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...2))])
            }
            let resent = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...2))])
            return (stream, failure, resent)
        }
        guard case .failure(let error) = failure else {
            Issue.record("the dropped append did not throw")
            return
        }
        #expect(error.kind == .transient)
        #expect(error.status == "UNAVAILABLE")
        #expect(resent == [.alreadyExists])
        #expect(server.rows(of: stream).count == 2)
        // The resend went on a new connection, which sent the writer schema again.
        #expect(server.connections == 2)
        #expect(server.writerSchemas.count == 2)
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func aRowThatCannotBeEncodedSendsNothingAndNamesItsIndexAcrossRequests() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        let (stream, result) = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let result = Result { () throws(WriteStreamError) in
                try service.append(
                    stream: stream, schema: Self.schema,
                    requests: [
                        AppendRequest(offset: 0, rows: Self.rows(1...2)),
                        AppendRequest(offset: 2, rows: [#"{"event_id": "e3", "n": "not-a-number"}"#]),
                    ])
            }
            return (stream, result)
        }
        guard case .failure(let error) = result else {
            Issue.record("an unencodable row was sent")
            return
        }
        #expect(error.kind == .invalidRow(index: 2))
        #expect(!error.message.contains("not-a-number"))
        #expect(server.rows(of: stream).isEmpty)
        #expect(!server.calls.contains { $0.method == "AppendRows" })
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func aNewSchemaReplacesTheConnectionAndSendsItsWriterSchema() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        let wider = try TableSchema(fields: Self.schema.fields + [FieldSchema(name: "extra", type: .boolean)])
        let outcomes = try await onOwnThread {
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            return [
                try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...1))]),
                try service.append(stream: stream, schema: wider, requests: [AppendRequest(offset: 1, rows: [#"{"event_id": "x", "extra": true}"#])]),
            ]
        }
        #expect(outcomes == [[.appended(offset: 0)], [.appended(offset: 1)]])
        #expect(server.connections == 2)
        #expect(server.writerSchemas.map { $0.field.count } == [2, 3])
        try await onOwnThread { service.close() }
        await server.stop()
    }

    @Test func anUnauthenticatedAnswerDropsTheCachedToken() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let invalidated = Atomic<Int>(0)
        let service = try GRPCWriteStreamService(
            endpoint: server.endpoint,
            accessToken: WriteAccessToken(fetch: { "expired" }, invalidate: { invalidated.add(1, ordering: .relaxed) }),
            logger: Self.logger)
        server.refuseAuthorization("Bearer expired")
        let result = try await onOwnThread {
            Result { () throws(WriteStreamError) in try service.createStream(project: "p", dataset: "d", table: "t") }
        }
        guard case .failure(let error) = result else {
            Issue.record("an unauthenticated call succeeded")
            return
        }
        #expect(error.kind == .permission)
        #expect(error.status == "UNAUTHENTICATED")
        #expect(invalidated.load(ordering: .relaxed) == 1)
        try await onOwnThread { service.close() }
        await server.stop()
    }

    /// A credential provider that answers with a fixed token or error, counting invalidations.
    final class FixedCredentials: AccessTokenProvider {
        let answer: Result<String?, CredentialsError>
        let invalidations = Atomic<Int>(0)
        init(_ answer: Result<String?, CredentialsError>) { self.answer = answer }
        func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? { try answer.get() }
        func invalidate() { invalidations.add(1, ordering: .relaxed) }
        var sourceDescription: String { "fixed" }
    }

    @Test func spoolsCredentialProvidersGiveTheTokenAndTheirFailuresAreClassified() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let results = try await onOwnThread {
            [
                FixedCredentials(.success("from-provider")), FixedCredentials(.success(nil)),
                FixedCredentials(.failure(CredentialsError(.transport, "metadata server unreachable"))),
                FixedCredentials(.failure(CredentialsError(.tokenEndpointRejected, "invalid_grant", httpStatus: 400))),
            ].map { credentials in
                let service = try! GRPCWriteStreamService(endpoint: server.endpoint, accessToken: .provider(credentials), logger: Self.logger)
                defer { service.close() }
                return Result { () throws(WriteStreamError) in try service.createStream(project: "p", dataset: "d", table: "t") }
            }
        }
        #expect(server.calls.map(\.authorization) == ["Bearer from-provider", nil])
        #expect((try? results[0].get()) != nil && (try? results[1].get()) != nil)
        #expect(results[2].error?.kind == .transient)
        #expect(results[3].error?.kind == .permission)
        #expect(results[3].error?.message.contains("invalid_grant") == true)
        await server.stop()
    }

    @Test func noServerIsATransientErrorWithinTheCallTimeout() async throws {
        // A port nothing listens on: the test server's, after it stopped.
        let server = try await BigQueryWriteTestServer.start()
        let endpoint = server.endpoint
        await server.stop()
        let service = try GRPCWriteStreamService(
            endpoint: endpoint, accessToken: .none, configuration: .init(callTimeout: .seconds(5), appendTimeout: .seconds(5)),
            logger: Self.logger)
        let results = try await onOwnThread {
            (
                Result { () throws(WriteStreamError) in try service.createStream(project: "p", dataset: "d", table: "t") },
                Result { () throws(WriteStreamError) in
                    try service.append(stream: "projects/p/datasets/d/tables/t/streams/s", schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...1))])
                }
            )
        }
        for result in [results.0.map { _ in () }, results.1.map { _ in () }] {
            guard case .failure(let error) = result else {
                Issue.record("a call to no server succeeded")
                continue
            }
            #expect(error.kind == .transient, "\(error)")
        }
        try await onOwnThread { service.close() }
    }

    @Test func callsAreAnsweredWhileEveryThreadOfTheSharedPoolIsBlocked() async throws {
        let server = try await BigQueryWriteTestServer.start()
        let service = try Self.service(server)
        // More blocked tasks than the pool has threads: until they are released, no other task gets one.
        let blockers = ProcessInfo.processInfo.activeProcessorCount * 2
        let release = DispatchSemaphore(value: 0)
        let started = DispatchSemaphore(value: 0)
        for _ in 0..<blockers {
            Task.detached {
                started.signal()
                release.wait()
            }
        }
        let outcomes = try await onOwnThread {
            // Every pool thread holds a blocker (the ones beyond the pool's width never start until released).
            for _ in 0..<ProcessInfo.processInfo.activeProcessorCount { started.wait() }
            defer { for _ in 0..<blockers { release.signal() } }
            let stream = try service.createStream(project: "p", dataset: "d", table: "t")
            let outcomes = try service.append(stream: stream, schema: Self.schema, requests: [AppendRequest(offset: 0, rows: Self.rows(1...2))])
            service.close()
            return outcomes
        }
        #expect(outcomes == [.appended(offset: 0)])
        await server.stop()
    }

    @Test func endpointsParseAsHTTPSWithTLSOrHTTPPlaintext() throws {
        #expect(try WriteEndpoint(url: "https://bigquerystorage.googleapis.com") == .bigQuery)
        #expect(try WriteEndpoint(url: "https://bigquerystorage.googleapis.com:443/") == .bigQuery)
        #expect(try WriteEndpoint(url: "http://127.0.0.1:9060") == WriteEndpoint(host: "127.0.0.1", port: 9060, usesTLS: false))
        #expect(try WriteEndpoint(url: "http://[::1]:9060") == WriteEndpoint(host: "::1", port: 9060, usesTLS: false))
        for bad in ["ftp://host", "https://", "https://host/path", "http://host:port", "http://host:70000", "host:443"] {
            #expect(throws: WriteStreamError.self, "\(bad)") { try WriteEndpoint(url: bad) }
        }
    }
}

extension Result {
    var error: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
