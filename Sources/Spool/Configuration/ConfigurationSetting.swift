import Foundation
import SpoolSchema
import SpoolStorage

/// One setting of the configuration schema: its key in the file, its environment variable and `spoolctl` option
/// (when it has them), what values it takes, its default (read from the Swift type's own default, the one place
/// defaults are written) and one line that says what it does. `ConfigurationSchema.settings` lists them all; the
/// file reader, the environment and command-line overrides, the "did you mean" check and README's table are all
/// driven from that list.
public struct ConfigurationSetting: Sendable {
    /// `section.member`, as the file spells it: `uploader.batchRows`.
    public let key: String
    /// The environment variable that overrides it (`SPOOL_DB`), if any.
    public let environment: String?
    /// The `spoolctl` option that overrides it (`--db`), if any.
    public let option: String?
    /// The values it takes, in words: "whole number, 1 to 50,000".
    public let type: String
    /// The default, as the file would spell it, from a default instance of the Swift type.
    public let defaultValue: String
    /// What it does, in one line.
    public let meaning: String
    /// The Swift properties it sets (`UploaderConfiguration.batchRows`): the test that every property has a key
    /// reads them.
    package let properties: [String]
    /// How a variable's or an option's text becomes the value the file would hold.
    let valueOfText: @Sendable (String) -> JSONValue
    /// Reads `member` from `reader` (absent or null: nothing changes) and sets it on `file`.
    let read: @Sendable (_ reader: ConfigurationReader, _ member: String, _ file: inout SpoolConfigurationFile) throws(SpoolError) -> Void

    /// The section (`uploader`).
    public var section: String { String(key.prefix { $0 != "." }) }
    /// The key within the section (`batchRows`).
    public var member: String { String(key.drop { $0 != "." }.dropFirst()) }
}

/// A configuration type the schema's settings write to, as a part of `SpoolConfigurationFile`.
struct SettingTarget<Root: Sendable>: Sendable {
    /// The Swift type's name as the documentation writes it (`UploaderConfiguration`).
    let typeName: String
    /// Its default instance: where every default comes from.
    let defaults: Root
    let update: @Sendable (_ file: inout SpoolConfigurationFile, _ change: (inout Root) -> Void) -> Void
}

extension SettingTarget where Root == SpoolConfigurationFile {
    static var file: Self { Self(typeName: "SpoolConfigurationFile", defaults: SpoolConfigurationFile(), update: { file, change in change(&file) }) }
}

extension SettingTarget where Root == Spool.Configuration {
    static var spool: Self { Self(typeName: "Spool.Configuration", defaults: Spool.Configuration(), update: { file, change in change(&file.spool) }) }
}

extension SettingTarget where Root == UploaderConfiguration {
    static var uploader: Self { Self(typeName: "UploaderConfiguration", defaults: UploaderConfiguration(), update: { file, change in change(&file.uploader) }) }
}

extension SettingTarget where Root == Destination {
    /// The destination exists once any of its settings is given (the file's section requires project and dataset;
    /// an override alone starts from empty ids, which validation then names).
    static var destination: Self {
        Self(typeName: "Destination", defaults: Destination(project: "", dataset: ""), update: { file, change in
            var destination = file.destination ?? Destination(project: "", dataset: "")
            change(&destination)
            file.destination = destination
        })
    }
}

extension SettingTarget where Root == ProvisioningSettings {
    static var provisioning: Self { Self(typeName: "ProvisioningSettings", defaults: ProvisioningSettings(), update: { file, change in change(&file.provisioning) }) }
}

/// The kinds of value a setting takes. Each builds a `ConfigurationSetting` from a key path into its target, so that
/// a new setting is one line of `ConfigurationSchema.settings`.
extension ConfigurationSetting {
    /// The common part: reads a value with `decode` and stores it at `path`.
    private static func make<Root, Value>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Value> & Sendable, _ property: String,
        env: String?, option: String?, type: String, meaning: String, alsoSets: [String] = [],
        render: @Sendable (Value) -> String, text: @escaping @Sendable (String) -> JSONValue = { .string($0) },
        decode: @escaping @Sendable (_ reader: ConfigurationReader, _ member: String) throws(SpoolError) -> Value?
    ) -> ConfigurationSetting {
        ConfigurationSetting(
            key: key, environment: env, option: option, type: type, defaultValue: render(target.defaults[keyPath: path]),
            meaning: meaning, properties: ["\(target.typeName).\(property)"] + alsoSets, valueOfText: text,
            read: { reader, member, file throws(SpoolError) in
                guard let value = try decode(reader, member) else { return }
                target.update(&file) { $0[keyPath: path] = value }
            }
        )
    }

    /// Text that should be a JSON number: taken as written, so that the same rule refuses it.
    private static func number(_ text: String) -> JSONValue { .number(text) }

    /// A whole number within `range`.
    static func integer<Root, Number: FixedWidthInteger & Sendable>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Number> & Sendable, _ property: String,
        in range: ClosedRange<Number>, env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: Self.range(range), meaning: meaning,
             render: { NumberWords.grouped($0) }, text: number(_:)) { reader, member throws(SpoolError) in
            try reader.integer(member, in: range)
        }
    }

    /// A whole number within `range`, or null for none.
    static func optionalInteger<Root, Number: FixedWidthInteger & Sendable>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Number?> & Sendable, _ property: String,
        in range: ClosedRange<Number>, env: String? = nil, option: String? = nil, absent: String = "null (none)", _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: Self.range(range) + ", or null", meaning: meaning,
             render: { $0.map { NumberWords.grouped($0) } ?? absent }, text: number(_:)) { reader, member throws(SpoolError) in
            try reader.integer(member, in: range).map { Optional($0) }
        }
    }

    /// Seconds within `range`, fractions allowed, held as a `Duration` to the millisecond.
    static func seconds<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Duration> & Sendable, _ property: String,
        in range: ClosedRange<Double>, env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: Self.range(range), meaning: meaning,
             render: Self.seconds(_:), text: number(_:)) { reader, member throws(SpoolError) in
            try reader.seconds(member, in: range)
        }
    }

    /// Seconds within `range`, or null for none.
    static func optionalSeconds<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Duration?> & Sendable, _ property: String,
        in range: ClosedRange<Double>, env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: Self.range(range) + ", or null", meaning: meaning,
             render: { $0.map(Self.seconds(_:)) ?? "null (none)" }, text: number(_:)) { reader, member throws(SpoolError) in
            try reader.seconds(member, in: range).map { Optional($0) }
        }
    }

    static func bool<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Bool> & Sendable, _ property: String,
        env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: "true or false", meaning: meaning,
             render: { String($0) }, text: { text in text == "true" ? .bool(true) : text == "false" ? .bool(false) : .string(text) }) { reader, member throws(SpoolError) in
            try reader.bool(member)
        }
    }

    /// One of a fixed set of words (a `String` enum).
    static func choice<Root, Choice: RawRepresentable & CaseIterable & Sendable>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Choice> & Sendable, _ property: String,
        env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting where Choice.RawValue == String {
        make(key, target, path, property, env: env, option: option,
             type: Choice.allCases.map { "`\($0.rawValue)`" }.joined(separator: " or "), meaning: meaning,
             render: { "`\($0.rawValue)`" }) { reader, member throws(SpoolError) in
            try reader.choice(member, Choice.self)
        }
    }

    /// A non-empty string; `rule` returns why a value is refused (nil: accepted).
    static func string<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, String> & Sendable, _ property: String,
        env: String? = nil, option: String? = nil, required: Bool = false, rule: @escaping @Sendable (String) -> String? = { _ in nil },
        _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: "string", meaning: meaning,
             render: { required ? "required" : "`\($0)`" }) { reader, member throws(SpoolError) in
            guard let text = try reader.string(member) else {
                // Required within its section: a section that is there without it is a mistake.
                if required { throw reader.refusal(member, "is required") }
                return nil
            }
            if let refusal = rule(text) { throw reader.refusal(member, refusal) }
            return text
        }
    }

    /// A non-empty string, or null for none.
    static func optionalString<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, String?> & Sendable, _ property: String,
        env: String? = nil, option: String? = nil, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: "string, or null", meaning: meaning,
             render: { $0.map { "`\($0)`" } ?? "null (none)" }) { reader, member throws(SpoolError) in
            try reader.string(member).map { Optional($0) }
        }
    }

    /// A file or folder; in the file, relative to the file's folder.
    static func path<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, String?> & Sendable, _ property: String,
        env: String? = nil, option: String? = nil, alsoSets: [String] = [], _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: env, option: option, type: "path", meaning: meaning, alsoSets: alsoSets,
             render: { $0 ?? "null (none)" }) { reader, member throws(SpoolError) in
            try reader.string(member).map { Optional(reader.resolve($0)) }
        }
    }

    /// An array of non-empty strings, held as a set; `rule` returns why an element is refused (nil: accepted).
    static func stringSet<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, Set<String>> & Sendable, _ property: String,
        rule: @escaping @Sendable (String) -> String? = { _ in nil }, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: nil, option: nil, type: "array of strings", meaning: meaning,
             render: { $0.isEmpty ? "`[]`" : "\($0.sorted())" }) { reader, member throws(SpoolError) in
            guard let texts = try reader.strings(member) else { return nil }
            for text in texts {
                if let refusal = rule(text) { throw reader.refusal(member, refusal) }
            }
            return Set(texts)
        }
    }

    /// An object of strings.
    static func stringMap<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, [String: String]> & Sendable, _ property: String,
        _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: nil, option: nil, type: "object of strings", meaning: meaning,
             render: { $0.isEmpty ? "`{}`" : "\($0)" }) { reader, member throws(SpoolError) in
            try reader.stringMap(member)
        }
    }

    /// An object of arrays of strings.
    static func stringArrayMap<Root>(
        _ key: String, _ target: SettingTarget<Root>, _ path: WritableKeyPath<Root, [String: [String]]> & Sendable, _ property: String,
        _ meaning: String
    ) -> ConfigurationSetting {
        make(key, target, path, property, env: nil, option: nil, type: "object of arrays of strings", meaning: meaning,
             render: { $0.isEmpty ? "`{}`" : "\($0)" }) { reader, member throws(SpoolError) in
            try reader.stringArrayMap(member)
        }
    }

    /// `automatic`, `none` or a key file: the one reading of these words (`UploaderConfiguration.CredentialsChoice.parse`).
    static func credentials(
        _ key: String, _ path: WritableKeyPath<UploaderConfiguration, UploaderConfiguration.CredentialsChoice> & Sendable, _ property: String,
        env: String?, option: String?, _ meaning: String
    ) -> ConfigurationSetting {
        make(key, .uploader, path, property, env: env, option: option, type: "`automatic`, `none` or a path", meaning: meaning,
             render: { $0.configurationText.map { "`\($0)`" } ?? "a provider of your own" }) { reader, member throws(SpoolError) in
            guard let text = try reader.string(member) else { return nil }
            switch UploaderConfiguration.CredentialsChoice.parse(text) {
            case .success(let choice):
                if case .file(let path) = choice { return .file(reader.resolve(path)) }
                return choice
            case .failure(let refusal):
                throw reader.refusal(member, refusal.rule)
            }
        }
    }

    private static func range<Number: FixedWidthInteger>(_ range: ClosedRange<Number>) -> String {
        let upper = range.upperBound == Number.max ? "" : " to \(NumberWords.grouped(range.upperBound))"
        return upper.isEmpty ? "whole number, at least \(NumberWords.grouped(range.lowerBound))" : "whole number, \(NumberWords.grouped(range.lowerBound))\(upper)"
    }

    private static func range(_ range: ClosedRange<Double>) -> String {
        "seconds, \(NumberWords.seconds(range.lowerBound)) to \(NumberWords.seconds(range.upperBound))"
    }

    /// A duration as the file writes it: seconds, with a fraction when it has one.
    private static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? NumberWords.grouped(milliseconds / 1000) : String(Double(milliseconds) / 1000)
    }
}
