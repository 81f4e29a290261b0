import Foundation

/// A folder of views: one `<name>.sql` per view, and beside it an optional `<name>.json` with its settings.
public enum ViewDirectory {
    /// Loads every `*.sql` file of `directory` (not its sub-folders) with its `.json` file, sorted by name.
    /// The first bad file stops the load with an error that names it; a `.json` file without its `.sql` is one.
    public static func load(from directory: URL) throws(SchemaError) -> [ViewDefinition] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw SchemaError(.unreadable, file: directory.path, "cannot list the views folder")
        }
        let visible = Set(names.filter { !$0.hasPrefix(".") })
        for name in visible.sorted() where name.hasSuffix(".json") && !visible.contains(String(name.dropLast(5)) + ".sql") {
            throw SchemaError(.invalidAttribute, file: directory.appendingPathComponent(name).path, "a view's settings without its query: \(String(name.dropLast(5))).sql is missing")
        }
        var views: [ViewDefinition] = []
        for name in visible.sorted() where name.hasSuffix(".sql") {
            let base = String(name.dropLast(4))
            let sqlURL = directory.appendingPathComponent(name)
            let sql: String
            do {
                sql = try String(contentsOf: sqlURL, encoding: .utf8)
            } catch {
                throw SchemaError(.unreadable, file: sqlURL.path, "cannot read the file as UTF-8 text")
            }
            guard !sql.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw SchemaError(.invalidAttribute, file: sqlURL.path, "the view's query is empty")
            }
            var view = ViewDefinition(name: base, sql: sql)
            if visible.contains(base + ".json") {
                let settingsURL = directory.appendingPathComponent(base + ".json")
                let data: Data
                do {
                    data = try Data(contentsOf: settingsURL)
                } catch {
                    throw SchemaError(.unreadable, file: settingsURL.path, "cannot read the file")
                }
                try ViewSettings.apply(data, to: &view, file: settingsURL.path)
            }
            views.append(view)
        }
        return views
    }
}

/// Reads a view's `.json` file: `kind`, `description`, and for a materialized view `enableRefresh`,
/// `refreshIntervalMs` and `partitioning.field`. Unknown keys are refused, so a misspelt setting is not ignored.
enum ViewSettings {
    static let keys = ["kind", "description", "enableRefresh", "refreshIntervalMs", "partitioning"]

    static func apply(_ data: Data, to view: inout ViewDefinition, file: String) throws(SchemaError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(data)
        } catch {
            throw SchemaError(.notJSON, file: file, "not valid JSON: \(error)")
        }
        guard let object = value.objectValue else {
            throw SchemaError(.invalidAttribute, file: file, "a view's settings must be a JSON object")
        }
        for key in object.keys where !keys.contains(key) {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: key, "unknown key (known: \(keys.joined(separator: ", ")))")
        }
        func string(_ key: String) throws(SchemaError) -> String? {
            guard let member = object[key], !member.isNull else { return nil }
            guard let text = member.stringValue else {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: key, "must be a string")
            }
            return text
        }
        if let kind = try string("kind") {
            guard let parsed = ViewDefinition.Kind(rawValue: kind) else {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: "kind", "must be \"view\" or \"materializedView\"")
            }
            view.kind = parsed
        }
        view.description = try string("description")
        if let member = object["enableRefresh"], !member.isNull {
            guard case .bool(let flag) = member else {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: "enableRefresh", "must be true or false")
            }
            view.enableRefresh = flag
        }
        if let member = object["refreshIntervalMs"], !member.isNull {
            guard case .number(let text) = member, let milliseconds = Int64(text),
                ViewDefinition.refreshIntervalBounds.contains(milliseconds)
            else {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: "refreshIntervalMs", "must be a whole number of milliseconds from 60000 (one minute) to 604800000 (seven days)")
            }
            view.refreshIntervalMs = milliseconds
        }
        if let member = object["partitioning"], !member.isNull {
            guard let partitioning = member.objectValue, partitioning.keys == ["field"], let field = partitioning["field"]?.stringValue, !field.isEmpty else {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: "partitioning", "must be {\"field\": \"<a DATE column of the view>\"}")
            }
            if let problem = FieldName.problem(with: field) {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: "partitioning.field", problem)
            }
            view.partitionField = field
        }
        if view.kind == .view {
            for key in ["enableRefresh", "refreshIntervalMs", "partitioning"] where object[key].map({ !$0.isNull }) == true {
                throw SchemaError(.invalidAttribute, file: file, fieldPath: key, "only a materialized view has this setting (set \"kind\": \"materializedView\")")
            }
        }
    }
}
