import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Issue 13, classes 5 and 6: one validated configuration, and no value that can trap.
@Suite("The configuration file: every value checked at load, by name")
struct ConfigurationValidationTests {
    private func write(_ text: String, in directory: TemporaryDirectory) throws -> String {
        let path = directory.file("spool.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func load(_ sections: String, environment: [String: String] = [:]) throws(SpoolError) -> SpoolConfigurationFile {
        let directory = try! TemporaryDirectory()
        defer { directory.remove() }
        let path = try! write(#"{"destination": {"project": "p1", "dataset": "d1"}, \#(sections)}"#, in: directory)
        return try SpoolConfigurationFile.load(path: path, environment: environment)
    }

    private func refusal(_ sections: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try load(sections, environment: environment)
            return nil
        } catch {
            #expect(error.code == .invalidConfiguration)
            return error.message
        }
    }

    @Test("fractional seconds are read to the millisecond; null keeps the default; every section's keys are read")
    func fractionalSecondsAndDefaults() throws {
        let file = try load(#"""
            "spool": {"durability": "full", "capPolicy": "dropOldest", "maxPendingRows": 10, "maxDatabaseBytes": null,
                      "fullDurabilityTables": ["order_transaction_events"]},
            "uploader": {"initialBackoffSeconds": 0.2, "maxBackoffSeconds": 2.5, "requestTimeoutSeconds": 0.75,
                         "maxRowAgeSeconds": 86400, "leaseSeconds": 12, "batchRows": 50000, "credentials": "none"}
            """#)
        #expect(file.uploader.initialBackoff == .milliseconds(200))
        #expect(file.uploader.maxBackoff == .milliseconds(2500))
        #expect(file.uploader.requestTimeout == .milliseconds(750))
        #expect(file.uploader.maxRowAge == .seconds(86400))
        #expect(file.uploader.leaseDuration == .seconds(12))
        #expect(file.uploader.batchRows == 50000)
        #expect(file.spool.durability == .full && file.spool.capPolicy == .dropOldest && file.spool.maxPendingRows == 10)
        #expect(file.spool.maxDatabaseBytes == nil)
        #expect(file.uploader.connectTimeout == UploaderConfiguration().connectTimeout)
    }

    @Test("each refused value names the file's key and the rule", arguments: [
        (#""uploader": {"batchRows": 0}"#, #""uploader.batchRows" must be a whole number from 1 to 50,000 (got 0)"#),
        (#""uploader": {"batchRows": 50001}"#, #""uploader.batchRows" must be a whole number from 1 to 50,000 (got 50001)"#),
        (#""uploader": {"batchRows": 2.5}"#, #""uploader.batchRows" must be a whole number from 1 to 50,000 (got 2.5)"#),
        (#""uploader": {"leaseSeconds": 0}"#, #""uploader.leaseSeconds" must be a number of seconds from 1 to 86,400 (got 0)"#),
        (#""uploader": {"leaseSeconds": 9223372036854775807}"#, #""uploader.leaseSeconds" must be a number of seconds from 1 to 86,400 (got 9223372036854775807)"#),
        (#""uploader": {"maxRowAgeSeconds": -1}"#, #""uploader.maxRowAgeSeconds" must be a number of seconds from 1 to 3,153,600,000 (got -1)"#),
        (#""uploader": {"maxRowAgeSeconds": 9.3e12}"#, #""uploader.maxRowAgeSeconds" must be a number of seconds from 1 to 3,153,600,000 (got 9.3e12)"#),
        (#""uploader": {"requestTimeoutSeconds": 0}"#, #""uploader.requestTimeoutSeconds" must be a number of seconds"#),
        (#""uploader": {"connectTimeoutSeconds": "10"}"#, #""uploader.connectTimeoutSeconds" must be a number of seconds"#),
        (#""uploader": {"initialBackoffSeconds": 5, "maxBackoffSeconds": 2}"#, "initialBackoff (uploader.initialBackoffSeconds) must not exceed maxBackoff (uploader.maxBackoffSeconds)"),
        (#""uploader": {"credentials": "automatc"}"#, #""uploader.credentials" must be "automatic", "none", or the path of a key file (got "automatc"): did you mean "automatic"?"#),
        (#""uploader": {"batchRow": 10}"#, #""uploader.batchRow" is not a known key: did you mean "batchRows"?"#),
        (#""spool": {"batchRows": 10}"#, #""spool.batchRows" is not a key of this section: did you mean "uploader.batchRows"?"#),
        (#""uplaoder": {}"#, #""uplaoder" is not a known key: did you mean "uploader"?"#),
        (#""spool": {"durability": "fulll"}"#, #""spool.durability" must be one of "normal", "full" (got "fulll"): did you mean "full"?"#),
        (#""spool": {"capPolicy": "drop"}"#, #""spool.capPolicy" must be one of "reject", "dropOldest" (got "drop")"#),
        (#""spool": {"maxPendingRows": 0}"#, #""spool.maxPendingRows" must be a whole number from 1 to"#),
        (#""spool": {"fullDurabilityTables": ["ok", "no;pe"]}"#, #""spool.fullDurabilityTables" must list event table names"#),
        (#""spool": {"fullDurabilityTables": "order_transaction_events"}"#, #""spool.fullDurabilityTables" must be an array of strings"#),
        (#""provisioning": {"partitionField": "timestamp", "partitionExpirationDays": 99999999999999}"#, #""provisioning.partitionExpirationDays" must be a whole number from 1 to 36,500"#),
    ])
    func refusedValuesAreNamed(section: String, words: String) throws {
        let message = try #require(refusal(section), "accepted: \(section)")
        #expect(message.contains("in the configuration file "), "\(message)")
        #expect(message.contains(words), "\(message)")
    }

    @Test("text that is not JSON, a missing project and a typo'd top-level key are refused with the file's name")
    func structuralMistakes() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for (text, words) in [
            (#"{"uploader": {"batchRows": 10,}}"#, "is not valid JSON: invalid JSON at byte"),
            (#"{"destination": {"dataset": "d1"}}"#, #""destination.project" is required"#),
            (#"[1, 2]"#, "must hold a JSON object"),
        ] {
            let path = try write(text, in: directory)
            let error = #expect(throws: SpoolError.self) { _ = try SpoolConfigurationFile.load(path: path, environment: [:]) }
            #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
    }

    @Test("environment overrides are validated too, naming the variable; a password in the endpoint is never quoted")
    func environmentOverridesAreValidated() throws {
        let endpoint = try #require(refusal(#""spool": {}"#, environment: ["SPOOL_ENDPOINT": "ftp://example.com"]))
        #expect(endpoint.contains("SPOOL_ENDPOINT") && endpoint.contains("must be an http(s) URL"), "\(endpoint)")
        let dataset = try #require(refusal(#""spool": {}"#, environment: ["SPOOL_DATASET": "no-dashes"]))
        #expect(dataset.contains("SPOOL_DATASET") && dataset.contains("not a valid BigQuery dataset id"), "\(dataset)")
        let credentials = try #require(refusal(#""spool": {}"#, environment: ["SPOOL_CREDENTIALS": "nnone"]))
        #expect(credentials.contains(#"SPOOL_CREDENTIALS must be "automatic", "none", or the path of a key file (got "nnone"): did you mean "none"?"#), "\(credentials)")
        let secret = try #require(refusal(#""spool": {}"#, environment: ["SPOOL_ENDPOINT": "http://operator:hunter2@127.0.0.1:9050"]))
        #expect(secret.contains("http://127.0.0.1:9050 must not carry a user name or password"), "\(secret)")
        #expect(!secret.contains("hunter2") && !secret.contains("operator"), "\(secret)")
        // An empty variable is no override.
        #expect(try load(#""spool": {}"#, environment: ["SPOOL_ENDPOINT": ""]).destination?.endpoint == Destination.defaultEndpoint)
    }

    @Test("huge durations given through Swift never trap: an uploader with a century-long everything still delivers")
    func hugeSwiftDurationsDoNotTrap() throws {
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        try spool.append(json: SeedEvents.row(table: "user_search_events", eventID: "e1", index: 1), to: "user_search_events")
        var configuration = UploaderConfiguration()
        configuration.credentials = .none
        configuration.maxRowAge = .seconds(Int64.max)
        configuration.leaseDuration = .seconds(Int64.max)
        configuration.requestTimeout = .seconds(Int64.max)
        configuration.connectTimeout = .seconds(Int64.max)
        configuration.maxBackoff = .seconds(Int64.max)
        configuration.pauseRecheckInterval = .seconds(Int64.max)
        let uploader = try SpoolUploader(spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint), configuration: configuration)
        let outcome = try uploader.drain(timeout: .seconds(Int64.max))
        #expect(outcome.report.delivered == 1)
        #expect(stub.storedRows(dataset: "analytics", table: "user_search_events").count == 1)
        // Days to BigQuery's milliseconds, for settings built in Swift and never validated.
        #expect(ProvisioningSettings(partitionField: "timestamp", partitionExpirationDays: Int.max).partitionExpirationMs == Int64.max)
    }

    @Test("a Swift configuration the uploader cannot work with is refused at start-up, by name")
    func swiftValuesAreValidated() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }
        for (change, words) in [
            ({ (configuration: inout UploaderConfiguration) in configuration.leaseDuration = .zero }, "leaseDuration (uploader.leaseSeconds) must be positive"),
            ({ (configuration: inout UploaderConfiguration) in configuration.batchRows = 0 }, "batchRows (uploader.batchRows) must be 1 to 50,000"),
            ({ (configuration: inout UploaderConfiguration) in configuration.maxRowAge = .seconds(-1) }, "maxRowAge (uploader.maxRowAgeSeconds) must be positive"),
            ({ (configuration: inout UploaderConfiguration) in configuration.initialBackoff = .seconds(64) }, "must not exceed maxBackoff"),
        ] {
            var configuration = UploaderConfiguration()
            configuration.credentials = .none
            change(&configuration)
            let error = #expect(throws: SpoolError.self) {
                _ = try SpoolUploader(spool: spool, destination: Destination(project: "p1", dataset: "d1"), configuration: configuration)
            }
            #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        }
    }
}
