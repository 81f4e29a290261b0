import Foundation
import Spool
import SpoolTestSupport
import Testing

/// `destination.api` and `destination.writeEndpoint`: in the file, the environment, Swift, and the spool file's record.
@Suite("The delivery API setting")
struct DeliveryAPIConfigurationTests {
    private func load(_ destination: String, environment: [String: String] = [:]) throws(SpoolError) -> SpoolConfigurationFile {
        let directory = try! TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.json").path
        try! Data(#"{"destination": {"project": "p1", "dataset": "d1"\#(destination)}}"#.utf8).write(to: URL(fileURLWithPath: path))
        return try SpoolConfigurationFile.load(path: path, environment: environment)
    }

    private func refusal(_ destination: String, environment: [String: String] = [:]) -> String? {
        do {
            _ = try load(destination, environment: environment)
            return nil
        } catch {
            #expect(error.code == .invalidConfiguration)
            return error.message
        }
    }

    @Test("the file's destination.api and destination.writeEndpoint are read; without them, insertAll and Google's Storage API host")
    func fileKeysAndDefaults() throws {
        let defaults = try #require(try load("").destination)
        #expect(defaults.api == .insertAll)
        #expect(defaults.writeEndpoint == "https://bigquerystorage.googleapis.com")
        let chosen = try #require(try load(#", "api": "storageWrite", "writeEndpoint": "http://127.0.0.1:9060""#).destination)
        #expect(chosen.api == .storageWrite)
        #expect(chosen.writeEndpoint == "http://127.0.0.1:9060")
        #expect(try load(#", "api": null"#).destination?.api == .insertAll)
    }

    @Test("SPOOL_API and SPOOL_WRITE_ENDPOINT override the file")
    func environmentOverrides() throws {
        let environment = ["SPOOL_API": "storageWrite", "SPOOL_WRITE_ENDPOINT": "http://127.0.0.1:9061"]
        let destination = try #require(try load(#", "api": "insertAll", "writeEndpoint": "http://127.0.0.1:9060""#, environment: environment).destination)
        #expect(destination.api == .storageWrite)
        #expect(destination.writeEndpoint == "http://127.0.0.1:9061")
        #expect(destination.project == "p1")
        #expect(try load("", environment: ["SPOOL_API": "insertAll"]).destination?.api == .insertAll)
    }

    @Test("an unknown API or a bad write endpoint is refused by name, with the choices; a password in it is never quoted")
    func invalidValuesAreRefused() throws {
        let word = try #require(refusal(#", "api": "grpc""#))
        #expect(word.contains("\"destination.api\"") && word.contains("\"insertAll\", \"storageWrite\""), "\(word)")
        let typo = try #require(refusal(#", "api": "storageWrte""#))
        #expect(typo.contains("did you mean \"storageWrite\"?"), "\(typo)")
        #expect(refusal(#", "api": 2"#)?.contains("\"destination.api\" must be one of") == true)
        let environment = try #require(refusal("", environment: ["SPOOL_API": "insertall2"]))
        #expect(environment.contains("SPOOL_API") && environment.contains("did you mean \"insertAll\"?"), "\(environment)")
        let scheme = try #require(refusal(#", "writeEndpoint": "grpc://127.0.0.1:9060""#))
        #expect(scheme.contains("writeEndpoint") && scheme.contains("must be an http(s) URL"), "\(scheme)")
        let secret = try #require(refusal("", environment: ["SPOOL_WRITE_ENDPOINT": "http://operator:hunter2@127.0.0.1:9060"]))
        #expect(secret.contains("SPOOL_WRITE_ENDPOINT") && secret.contains("writeEndpoint"), "\(secret)")
        #expect(!secret.contains("hunter2"))
        #expect(throws: SpoolError.self) {
            try Destination(project: "p1", dataset: "d1", writeEndpoint: "bigquerystorage.googleapis.com:443").validate()
        }
    }

    @Test("the spool file records the API with the destination; a record from before it decodes as insertAll")
    func recordedDestinationRoundTrip() throws {
        let destination = Destination(project: "p1", dataset: "d1", api: .storageWrite, writeEndpoint: "http://127.0.0.1:9060")
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let spool = try Spool(path: directory.file("spool.db").path)
        defer { spool.close() }

        // An uploader records it when it drains.
        var configuration = fastUploaderConfiguration()
        configuration.credentials = .none
        let uploader = try SpoolUploader(
            spool: spool, destination: destination, configuration: configuration, writeStreamService: InMemoryWriteStreamService()
        )
        _ = try uploader.drain(timeout: .seconds(1))
        #expect(try spool.recordedDestination() == destination)
        let recorded = try #require(try spool.outbox.setting("destination"))
        #expect(recorded.contains(#""api":"storageWrite""#))

        // A record written before the API was a setting reads as insertAll, with Google's Storage API host.
        try spool.outbox.setSetting(
            "destination", to: #"{"dataset":"d1","endpoint":"https://bigquery.googleapis.com","ignoreUnknownValues":false,"project":"p1","tables":{}}"#
        )
        let old = try spool.recordedDestination()
        #expect(old?.project == "p1")
        #expect(old?.api == .insertAll)
        #expect(old?.writeEndpoint == Destination.defaultWriteEndpoint)
    }
}
