import Foundation
import SpoolSchema
import SpoolStorage

/// Reads one object of the configuration file key by key, with the package's own JSON parser: every value is checked
/// as it is read, and a refusal names the file, the key and the rule ("in the configuration file /etc/spool/spool.json,
/// "uploader.batchRows" must be a whole number from 1 to 50,000 (got 0)"). Unknown keys are refused with the closest
/// known one, so that a misspelt key is not silently ignored.
struct ConfigurationReader {
    /// Where the values come from: the file (keys are quoted with their section, relative paths resolved against the
    /// file's folder), or a variable or option that sets one key (it names itself; paths are taken as given).
    enum Origin {
        case file(path: String)
        case environment
        case commandLine
    }

    /// "in the configuration file PATH", or empty for a variable or an option: where the values came from.
    let source: String
    /// The key path of this object ("uploader"); empty at the top level.
    let path: [String]
    let object: JSONObject
    /// The folder relative paths are resolved against; nil: they are taken as given.
    private let folder: URL?

    /// The top level of the file's text.
    init(text: [UInt8], file: String) throws(SpoolError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            throw SpoolError(.invalidConfiguration, "the configuration file \(file) is not valid JSON: \(error)")
        }
        guard case .object(let object) = value else {
            throw SpoolError(.invalidConfiguration, "the configuration file \(file) must hold a JSON object ({\"spool\": …, \"destination\": …})")
        }
        self.init(source: "in the configuration file \(file)", path: [], object: object, folder: URL(fileURLWithPath: file).deletingLastPathComponent())
    }

    /// One value given outside the file, under its own name (`SPOOL_CREDENTIALS`, `--credentials`), which refusals
    /// quote as it is: `SPOOL_CREDENTIALS must be …`.
    init(name: String, value: JSONValue) {
        self.init(source: "", path: [], object: JSONObject([(name, value)]), folder: nil)
    }

    private init(source: String, path: [String], object: JSONObject, folder: URL?) {
        self.source = source
        self.path = path
        self.object = object
        self.folder = folder
    }

    /// `"uploader.batchRows"` for `key` in this object of the file; a variable's or an option's own name.
    func name(_ key: String) -> String {
        folder == nil ? key : "\"" + (path + [key]).joined(separator: ".") + "\""
    }

    /// A refusal of `key` for breaking `rule`, which reads after the key's name ("must be true or false").
    func refusal(_ key: String, _ rule: String) -> SpoolError {
        SpoolError(.invalidConfiguration, source.isEmpty ? "\(name(key)) \(rule)" : "\(source), \(name(key)) \(rule)")
    }

    /// A path as the file means it: relative to the file's folder. Outside the file, as given.
    func resolve(_ value: String) -> String {
        guard let folder, !value.hasPrefix("/") else { return value }
        return folder.appendingPathComponent(value).standardizedFileURL.path
    }

    /// Refuses a key that is not one of `known`, suggesting the closest known key (or where it belongs).
    func allowOnly(_ known: [String], elsewhere: [String: String] = [:]) throws(SpoolError) {
        for key in object.keys where !known.contains(key) {
            if let home = elsewhere[key] {
                throw refusal(key, "is not a key of this section: did you mean \"\(home).\(key)\"?")
            }
            if let suggestion = Suggestion.closest(to: key, among: known) {
                throw refusal(key, "is not a known key: did you mean \"\(suggestion)\"?")
            }
            throw refusal(key, "is not a known key (known here: \(known.joined(separator: ", ")))")
        }
    }

    /// The member, unless absent or null (null means "the default", as the README's example writes it).
    private func member(_ key: String) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func section(_ key: String) throws(SpoolError) -> ConfigurationReader? {
        guard let value = member(key) else { return nil }
        guard case .object(let inner) = value else { throw refusal(key, "must be an object") }
        return ConfigurationReader(source: source, path: path + [key], object: inner, folder: folder)
    }

    func string(_ key: String) throws(SpoolError) -> String? {
        guard let value = member(key) else { return nil }
        guard case .string(let text) = value else { throw refusal(key, "must be a string") }
        guard !text.isEmpty else { throw refusal(key, "must not be empty (leave it out for the default)") }
        return text
    }

    /// A required string: the file lacks it when absent.
    func requiredString(_ key: String) throws(SpoolError) -> String {
        guard let text = try string(key) else {
            throw refusal(key, "is required")
        }
        return text
    }

    func bool(_ key: String) throws(SpoolError) -> Bool? {
        guard let value = member(key) else { return nil }
        guard case .bool(let flag) = value else { throw refusal(key, "must be true or false") }
        return flag
    }

    /// A whole number within `range`; fractions, exponents and numbers beyond the range are refused by name.
    func integer<Number: FixedWidthInteger>(_ key: String, in range: ClosedRange<Number>) throws(SpoolError) -> Number? {
        guard let value = member(key) else { return nil }
        let rule = "must be a whole number from \(NumberWords.grouped(range.lowerBound)) to \(NumberWords.grouped(range.upperBound))"
        guard case .number(let literal) = value else { throw refusal(key, rule) }
        guard let number = Number(literal), range.contains(number) else {
            throw refusal(key, "\(rule) (got \(literal))")
        }
        return number
    }

    /// Seconds, fractions allowed ("0.2"), within `range`; held to the millisecond.
    func seconds(_ key: String, in range: ClosedRange<Double>) throws(SpoolError) -> Duration? {
        guard let value = member(key) else { return nil }
        let rule = "must be a number of seconds from \(NumberWords.seconds(range.lowerBound)) to \(NumberWords.seconds(range.upperBound))"
        guard case .number(let literal) = value else { throw refusal(key, rule) }
        guard let seconds = Double(literal), seconds.isFinite, range.contains(seconds) else {
            throw refusal(key, "\(rule) (got \(literal))")
        }
        // Within the range, the product is far below Int64's limit.
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// One of a fixed set of words, listed in the refusal.
    func choice<Choice: RawRepresentable & CaseIterable>(_ key: String, _: Choice.Type) throws(SpoolError) -> Choice? where Choice.RawValue == String {
        guard let value = member(key) else { return nil }
        let allowed = Choice.allCases.map(\.rawValue)
        let rule = "must be one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", ")
        guard case .string(let text) = value else { throw refusal(key, rule) }
        guard let choice = Choice(rawValue: text) else {
            let hint = Suggestion.closest(to: text, among: allowed).map { ": did you mean \"\($0)\"?" } ?? ""
            throw refusal(key, "\(rule) (got \(JSONValue.string(text).serialized()))\(hint)")
        }
        return choice
    }

    /// An array of non-empty strings.
    func strings(_ key: String) throws(SpoolError) -> [String]? {
        guard let value = member(key) else { return nil }
        guard case .array(let elements) = value else { throw refusal(key, "must be an array of strings") }
        var texts: [String] = []
        for element in elements {
            guard case .string(let text) = element, !text.isEmpty else { throw refusal(key, "must be an array of non-empty strings") }
            texts.append(text)
        }
        return texts
    }

    /// An object whose members are all strings.
    func stringMap(_ key: String) throws(SpoolError) -> [String: String]? {
        guard let inner = try section(key) else { return nil }
        var map: [String: String] = [:]
        for member in inner.object.members {
            guard let text = try inner.string(member.key) else { throw inner.refusal(member.key, "must be a string") }
            map[member.key] = text
        }
        return map
    }

    /// An object whose members are all arrays of strings.
    func stringArrayMap(_ key: String) throws(SpoolError) -> [String: [String]]? {
        guard let inner = try section(key) else { return nil }
        var map: [String: [String]] = [:]
        for member in inner.object.members {
            guard let texts = try inner.strings(member.key) else { throw inner.refusal(member.key, "must be an array of strings") }
            map[member.key] = texts
        }
        return map
    }
}

/// The closest of a few known words to a misspelt one, by edit distance (Levenshtein, ignoring case).
enum Suggestion {
    static func closest(to word: String, among candidates: [String]) -> String? {
        let scored = candidates.map { (candidate: $0, distance: distance(word.lowercased(), $0.lowercased())) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        // Close enough to be a typo: at most two edits, or a third of the word.
        return best.distance <= max(2, best.candidate.count / 3) ? best.candidate : nil
    }

    static func distance(_ first: String, _ second: String) -> Int {
        let a = Array(first.unicodeScalars), b = Array(second.unicodeScalars)
        guard !a.isEmpty else { return b.count }
        guard !b.isEmpty else { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}

/// Numbers in configuration messages, as people write them.
enum NumberWords {
    /// `2,147,483,647`: Foundation's grouping, as spoolctl's `NumberText.grouped` prints counts.
    static func grouped<Number: FixedWidthInteger>(_ number: Number) -> String {
        number.formatted(IntegerFormatStyle<Number>(locale: Locale(identifier: "en_US")))
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? grouped(Int64(value)) : String(value)
    }
}
