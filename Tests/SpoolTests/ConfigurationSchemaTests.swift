import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Issue 14, item 7: one configuration schema for the file, the environment and spoolctl's options.
@Suite("The configuration schema: every setting once, with a key, and README's table made from it")
struct ConfigurationSchemaTests {
    /// The stored properties of each configuration type, read from a default instance: a property added later shows
    /// up here without anyone listing it.
    private static let storedProperties: [String] = {
        let instances: [(String, Any)] = [
            ("Spool.Configuration", Spool.Configuration()),
            ("UploaderConfiguration", UploaderConfiguration()),
            ("Destination", Destination(project: "p", dataset: "d")),
            ("ProvisioningSettings", ProvisioningSettings()),
            ("SpoolConfigurationFile", SpoolConfigurationFile()),
        ]
        // The file's sections are the types above, not settings of their own.
        let sections: Set = ["spool", "destination", "uploader", "provisioning"]
        return instances.flatMap { type, instance in
            Mirror(reflecting: instance).children.compactMap(\.label)
                .filter { type != "SpoolConfigurationFile" || !sections.contains($0) }
                .map { "\(type).\($0)" }
        }
    }()

    @Test("every stored property of the configuration types has a file key, or is listed as code-only with a reason")
    func everyPropertyHasAKeyOrIsCodeOnly() {
        let keyed = Set(ConfigurationSchema.settings.flatMap(\.properties))
        let uncovered = Self.storedProperties.filter { !keyed.contains($0) && ConfigurationSchema.codeOnly[$0] == nil }
        #expect(uncovered.isEmpty, "no file key and not code-only: \(uncovered)")
        #expect(Self.storedProperties.count > 40, "the mirror found the properties: \(Self.storedProperties.count)")
        for (property, reason) in ConfigurationSchema.codeOnly {
            #expect(!keyed.contains(property), "\(property) is code-only and has a key too")
            #expect(reason.count > 10, "\(property) says why it is code-only")
        }
    }

    @Test("every property the schema names is a stored property, and every key, variable and option is unique")
    func theSchemaNamesRealPropertiesOnce() {
        let stored = Set(Self.storedProperties)
        let named = ConfigurationSchema.settings.flatMap(\.properties) + ConfigurationSchema.codeOnly.keys
        #expect(named.filter { !stored.contains($0) }.isEmpty, "\(named.filter { !stored.contains($0) })")
        for names in [ConfigurationSchema.settings.map(\.key), ConfigurationSchema.settings.compactMap(\.environment), ConfigurationSchema.settings.compactMap(\.option)] {
            #expect(Set(names).count == names.count, "\(names)")
        }
        #expect(ConfigurationSchema.settings.allSatisfy { ConfigurationSchema.sections.contains($0.section) && !$0.member.isEmpty })
    }

    @Test("README's configuration table is the schema's, key for key, with the Swift types' defaults")
    func readmeListsEverySetting() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let table = ConfigurationSchema.markdownTable()
        #expect(text.contains(table), "README.md's configuration table differs from the schema; it should read:\n\(table)")
        for setting in ConfigurationSchema.settings {
            #expect(table.contains("| `\(setting.key)` |"))
        }
        #expect(table.contains("| `uploader.batchRows` |  |  | whole number, 1 to 50,000, or null | null (500 for insertAll, 2,000 for storageWrite) |"))
        #expect(table.contains("| `uploader.pollIntervalSeconds` |  |  | seconds, 0.001 to 86,400 | 0.5 |"))
        #expect(table.contains("| `spool.path` | `SPOOL_DB` | `--db` | path | null (none) |"))
        // The Swift-only settings are named beside the table.
        let swiftOnly = try #require(text.range(of: "Swift-only (no key, by design)")).upperBound
        let paragraph = text[swiftOnly...].prefix { $0 != "#" }
        for property in ConfigurationSchema.codeOnly.keys {
            let name = property.split(separator: ".").last.map(String.init) ?? property
            #expect(paragraph.contains("`\(name)`"), "README's Swift-only paragraph does not name \(property)")
        }
    }

    @Test("the settings that had no key read from the file: poll interval, poison strikes, quota backoff and the rest")
    func newKeysAreRead() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.json").path
        try Data(#"""
            {"spool": {"busyTimeoutSeconds": 0.25, "checkpointBytes": 1048576, "walMaxBytes": 8388608, "metricsLabelPrefix": "api_spool"},
             "uploader": {"pollIntervalSeconds": 0.05, "poisonStrikes": 5, "quotaBackoffSeconds": 120, "pauseRecheckSeconds": 30,
                          "gaugeIntervalSeconds": 2, "shutdownDrainTimeoutSeconds": 0, "compressRequests": false}}
            """#.utf8).write(to: URL(fileURLWithPath: path))
        let file = try SpoolConfigurationFile.load(path: path, environment: [:])
        #expect(file.spool.busyTimeout == .milliseconds(250))
        #expect(file.spool.checkpointBytes == 1 << 20 && file.spool.walMaxBytes == 8 << 20)
        #expect(file.spool.metricsLabelPrefix == "api_spool")
        #expect(file.uploader.pollInterval == .milliseconds(50))
        #expect(file.uploader.poisonStrikes == 5)
        #expect(file.uploader.quotaBackoff == .seconds(120))
        #expect(file.uploader.pauseRecheckInterval == .seconds(30))
        #expect(file.uploader.gaugeInterval == .seconds(2))
        #expect(file.uploader.shutdownDrainTimeout == .zero)
        #expect(file.uploader.compressRequests == false)
    }

    @Test("the new keys are checked like the others: range, type, section and the Swift rules", arguments: [
        (#""uploader": {"poisonStrikes": 0}"#, #""uploader.poisonStrikes" must be a whole number from 1 to 1,000 (got 0)"#),
        (#""uploader": {"pollIntervalSeconds": 0}"#, #""uploader.pollIntervalSeconds" must be a number of seconds from 0.001 to 86,400 (got 0)"#),
        (#""uploader": {"compressRequests": "yes"}"#, #""uploader.compressRequests" must be true or false"#),
        (#""spool": {"pollIntervalSeconds": 1}"#, #""spool.pollIntervalSeconds" is not a key of this section: did you mean "uploader.pollIntervalSeconds"?"#),
        (#""uploader": {"poisonStrike": 2}"#, #""uploader.poisonStrike" is not a known key: did you mean "poisonStrikes"?"#),
        (#""spool": {"metricsLabelPrefix": "2spool"}"#, #""spool.metricsLabelPrefix" must be letters, digits and underscores"#),
        (#""spool": {"checkpointBytes": 1048576, "walMaxBytes": 524288}"#, "need 64 KiB ≤ checkpointBytes ≤ walMaxBytes"),
    ])
    func newKeysAreChecked(section: String, words: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.json").path
        try Data("{\(section)}".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SpoolError.self) { _ = try SpoolConfigurationFile.load(path: path, environment: [:]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.contains(words) == true, "\(error?.message ?? "")")
        #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
    }

    @Test("a Swift value without a key of its own before is refused naming the key that now sets it")
    func swiftRefusalsNameTheKey() {
        var configuration = UploaderConfiguration()
        configuration.pollInterval = .zero
        let error = #expect(throws: SpoolError.self) { try configuration.validate() }
        #expect(error?.message.contains("pollInterval (uploader.pollIntervalSeconds) must be positive") == true, "\(error?.message ?? "")")
    }

    @Test("every variable overrides its key by the same rules, and spoolctl's options override the variables")
    func variablesAndOptionsOverrideTheFile() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("spool.json").path
        try Data(#"{"spool": {"path": "file.db"}, "destination": {"project": "p1", "dataset": "d1"}, "uploader": {"credentials": "keys/key.json"}}"#.utf8)
            .write(to: URL(fileURLWithPath: path))
        let fromFile = try SpoolConfigurationFile.load(path: path, environment: [:])
        // Relative paths in the file are the file's folder's; given outside it, they are taken as written.
        #expect(fromFile.spoolPath == directory.file("file.db").path)
        guard case .file(let key) = fromFile.uploader.credentials else {
            Issue.record("credentials: \(fromFile.uploader.credentials)")
            return
        }
        #expect(key == directory.file("keys/key.json").path)

        let environment = ["SPOOL_DB": "env.db", "SPOOL_PROJECT": "p2", "SPOOL_DATASET": "d2", "SPOOL_ENDPOINT": "http://127.0.0.1:9050", "SPOOL_CREDENTIALS": "automatic"]
        let fromEnvironment = try SpoolConfigurationFile.load(path: path, environment: environment)
        #expect(fromEnvironment.spoolPath == "env.db")
        #expect(fromEnvironment.destination == Destination(project: "p2", dataset: "d2", endpoint: "http://127.0.0.1:9050"))
        guard case .automatic = fromEnvironment.uploader.credentials else {
            Issue.record("credentials: \(fromEnvironment.uploader.credentials)")
            return
        }

        let fromOptions = try SpoolConfigurationFile.load(path: path, environment: environment, options: ["--db": "option.db", "--credentials": "none"])
        #expect(fromOptions.spoolPath == "option.db")
        guard case .none = fromOptions.uploader.credentials else {
            Issue.record("credentials: \(fromOptions.uploader.credentials)")
            return
        }

        // One parser for the three: the same refusal, each naming where the word came from.
        let typo = directory.file("typo.json").path
        try Data(#"{"uploader": {"credentials": "nnone"}}"#.utf8).write(to: URL(fileURLWithPath: typo))
        let refusals: [(String?, [String: String], [String: String])] = [
            (typo, [:], [:]), (nil, ["SPOOL_CREDENTIALS": "nnone"], [:]), (nil, [:], ["--credentials": "nnone"]),
        ]
        for (file, environment, options) in refusals {
            let error = #expect(throws: SpoolError.self) { _ = try SpoolConfigurationFile.load(path: file, environment: environment, options: options) }
            let source = file.map { _ in #""uploader.credentials""# } ?? environment.keys.first ?? options.keys.first ?? ""
            #expect(error?.message.contains(#"\#(source) must be "automatic", "none", or the path of a key file (got "nnone"): did you mean "none"?"#) == true, "\(error?.message ?? "")")
        }
    }
}
