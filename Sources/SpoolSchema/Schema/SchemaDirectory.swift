import Foundation

/// A folder of `<table>.json` schema files, one per table.
public enum SchemaDirectory {
    /// Loads every `*.json` file of `directory` (not its sub-folders) into schemas keyed by the
    /// file's base name; the first bad file stops the load with an error that names it.
    public static func load(from directory: URL) throws(SchemaError) -> [String: TableSchema] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw SchemaError(.unreadable, file: directory.path, "cannot list the schema folder")
        }
        var schemas: [String: TableSchema] = [:]
        for name in names.sorted() where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let url = directory.appendingPathComponent(name)
            let data: Data
            do {
                data = try Data(contentsOf: url)
            } catch {
                throw SchemaError(.unreadable, file: url.path, "cannot read the file")
            }
            schemas[String(name.dropLast(".json".count))] = try TableSchema(jsonData: data, file: url.path)
        }
        return schemas
    }
}
