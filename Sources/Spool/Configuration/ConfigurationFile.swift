import Foundation
import Logging
import SpoolSchema
import SpoolStorage

/// The one configuration of Spool, shared by applications and `spoolctl`: a JSON file, with environment overrides
/// and, in `spoolctl`, command-line options over those. `ConfigurationSchema.settings` lists every key with its
/// variable, option, values and meaning (README's table is made from it); defaults are the Swift types' own.
///
/// ```json
/// { "spool": { "path": "/var/lib/api/spool.db", "durability": "normal" },
///   "destination": { "project": "leafloafai", "dataset": "leafloaf_analytics" },
///   "uploader": { "batchRows": 500, "credentials": "automatic" },
///   "schemas": { "directory": "schemas", "views": "views" } }
/// ```
///
/// Relative paths in the file are resolved against the file's folder. The file itself: `--config`, else
/// `SPOOL_CONFIG`, else `/etc/spool/spool.json`.
public struct SpoolConfigurationFile: Sendable {
    public static let defaultPath = "/etc/spool/spool.json"

    /// Where the file was read from (nil when built from the environment alone).
    public var sourcePath: String?
    public var spoolPath: String?
    public var spool: Spool.Configuration
    public var destination: Destination?
    public var uploader: UploaderConfiguration
    public var schemasDirectory: String?
    /// The folder of views (`schemas.views`): one `<name>.sql` each, with an optional `<name>.json`.
    public var viewsDirectory: String?
    /// The views of `viewsDirectory`, loaded by `load(path:)`; `spoolctl tables create` provisions them.
    public var views: [ViewDefinition] = []
    /// How `spoolctl tables create` lays out new datasets and tables.
    public var provisioning: ProvisioningSettings = ProvisioningSettings()

    public init(spoolPath: String? = nil, spool: Spool.Configuration = .init(), destination: Destination? = nil, uploader: UploaderConfiguration = .init(), schemasDirectory: String? = nil) {
        self.spoolPath = spoolPath
        self.spool = spool
        self.destination = destination
        self.uploader = uploader
        self.schemasDirectory = schemasDirectory
    }

    /// Reads `path` (when given), applies the environment's `SPOOL_*` variables, then `options`, and loads the schema
    /// and view folders.
    ///
    /// - Parameter options: `spoolctl`'s options by name (`["--db": …]`): `ConfigurationSchema`'s option column.
    /// - Throws: `SpoolError.invalidConfiguration` naming the file and the offending key, variable or option.
    public static func load(
        path: String?, environment: [String: String] = ProcessInfo.processInfo.environment, options: [String: String] = [:],
        logger: Logger? = nil
    ) throws(SpoolError) -> SpoolConfigurationFile {
        var file = SpoolConfigurationFile()
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                let reason = FileManager.default.fileExists(atPath: path) ? "it cannot be read" : "no such file"
                throw SpoolError(.invalidConfiguration, "cannot read the configuration file \(path): \(reason)")
            }
            file = try parse(data, path: path)
        }
        try file.applyOverrides(from: environment, nameOf: \.environment, origin: "from the environment")
        try file.applyOverrides(from: options, nameOf: \.option, origin: "from the command line")
        file.spool.logger = logger
        file.uploader.logger = logger
        if let directory = file.schemasDirectory {
            do {
                file.spool.schemas = try SchemaDirectory.load(from: URL(fileURLWithPath: directory))
            } catch {
                throw SpoolError(.invalidConfiguration, "schemas in \(directory): \(error)")
            }
        }
        if let directory = file.viewsDirectory {
            do {
                file.views = try ViewDirectory.load(from: URL(fileURLWithPath: directory))
            } catch {
                throw SpoolError(.invalidConfiguration, "views in \(directory): \(error)")
            }
        }
        return file
    }

    /// The path `spoolctl` reads: `--config`, else `SPOOL_CONFIG`, else the default when it exists.
    public static func locate(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit { return explicit }
        if let fromEnvironment = environment["SPOOL_CONFIG"], !fromEnvironment.isEmpty { return fromEnvironment }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Decodes the file onto the defaults of `SpoolConfigurationFile()`, setting by setting, and checks every value
    /// on the way. A key the schema does not know is refused with the closest one it does.
    private static func parse(_ data: Data, path: String) throws(SpoolError) -> SpoolConfigurationFile {
        let root = try ConfigurationReader(text: Array(data), file: path)
        try root.allowOnly(ConfigurationSchema.sections, elsewhere: ConfigurationSchema.sectionOfMember)
        var file = SpoolConfigurationFile()
        file.sourcePath = path
        for name in ConfigurationSchema.sections {
            guard let section = try root.section(name) else { continue }
            try section.allowOnly(ConfigurationSchema.members(of: name), elsewhere: ConfigurationSchema.sectionOfMember.filter { $0.value != name })
            for setting in ConfigurationSchema.settings where setting.section == name {
                try setting.read(section, setting.member, &file)
            }
        }
        try file.validate(source: "in the configuration file \(path),")
        return file
    }

    /// Applies the settings named in `values` (a variable or an option each; empty values are no override), by the
    /// same rules as the file's keys, then checks the whole again, naming what was overridden.
    private mutating func applyOverrides(
        from values: [String: String], nameOf: KeyPath<ConfigurationSetting, String?>, origin: String
    ) throws(SpoolError) {
        var named: [String] = []
        for setting in ConfigurationSchema.settings {
            guard let name = setting[keyPath: nameOf], let text = values[name], !text.isEmpty else { continue }
            try setting.read(ConfigurationReader(name: name, value: setting.valueOfText(text)), name, &self)
            named.append(name)
        }
        guard !named.isEmpty else { return }
        try validate(source: "with \(named.joined(separator: ", ")) \(origin):")
    }

    /// The checks every value passes whatever its source (file, environment, Swift), with `source` leading the message.
    private func validate(source: String) throws(SpoolError) {
        do throws(SpoolError) {
            try spool.validate()
            try destination?.validate()
            try uploader.validate()
            try provisioning.validate()
        } catch {
            throw SpoolError(.invalidConfiguration, "\(source) \(error.message)")
        }
    }
}
