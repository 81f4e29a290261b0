import Foundation
import Spool
import SpoolTestSupport
import Testing

/// The configuration file's `provisioning` section.
@Suite("Provisioning settings in the configuration file")
struct ProvisioningSettingsTests {
    private func load(_ provisioning: String) throws(SpoolError) -> SpoolConfigurationFile {
        let directory = try! TemporaryDirectory()
        let path = directory.file("spool.json").path
        try! Data(#"{"destination": {"project": "p1", "dataset": "d1"}, "provisioning": \#(provisioning)}"#.utf8).write(to: URL(fileURLWithPath: path))
        return try SpoolConfigurationFile.load(path: path, environment: [:])
    }

    @Test("every key is read, and an absent section means US, unpartitioned, no clustering")
    func keysAndDefaults() throws {
        let file = try load(#"{"location": "EU", "partitionField": "timestamp", "partitionExpirationDays": 30, "clustering": {"user_search_events": ["user_id", "session_id"]}}"#)
        #expect(file.provisioning == ProvisioningSettings(location: "EU", partitionField: "timestamp", partitionExpirationDays: 30, clustering: ["user_search_events": ["user_id", "session_id"]]))
        #expect(file.provisioning.partitionExpirationMs == Int64(30) * 86_400_000)
        #expect(try load("{}").provisioning == ProvisioningSettings())
        #expect(ProvisioningSettings().location == "US")
    }

    @Test("an expiration without a partition column, a zero expiration and five clustering columns are refused")
    func invalidSettingsAreRefused() {
        for (section, words) in [
            (#"{"partitionExpirationDays": 30}"#, "needs provisioning.partitionField"),
            (#"{"partitionField": "timestamp", "partitionExpirationDays": 0}"#, "must be a whole number from 1 to 36,500 (got 0)"),
            (#"{"clustering": {"t": ["a", "b", "c", "d", "e"]}}"#, "must list 1 to 4 columns"),
            (#"{"location": ""}"#, "must not be empty"),
            (#"{"partitionExpirationDays": "30"}"#, #""provisioning.partitionExpirationDays" must be a whole number"#),
        ] {
            #expect {
                _ = try load(section)
            } throws: { error in
                guard let error = error as? SpoolError else { return false }
                return error.code == .invalidConfiguration && error.message.contains(words)
            }
        }
    }
}
