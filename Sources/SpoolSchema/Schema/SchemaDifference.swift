/// One field-level difference between two schemas; paths are dotted (`event_properties.source`).
public enum SchemaDifference: Sendable, Equatable, CustomStringConvertible {
    /// A field this schema has and the other does not.
    case added(path: String, field: FieldSchema)
    /// A field the other schema has and this one does not.
    case removed(path: String, field: FieldSchema)
    /// The same field with a different type (spellings of one type, like INTEGER and INT64, are equal).
    case typeChanged(path: String, from: FieldType, to: FieldType)
    /// The same field with a different mode.
    case modeChanged(path: String, from: FieldMode, to: FieldMode)

    /// The dotted path of the field concerned.
    public var path: String {
        switch self {
        case .added(let path, _), .removed(let path, _), .typeChanged(let path, _, _), .modeChanged(let path, _, _): path
        }
    }

    /// True for a change BigQuery applies to an existing table without rewriting it: a new
    /// NULLABLE or REPEATED column.
    public var isAdditive: Bool {
        if case .added(_, let field) = self { return field.mode != .required }
        return false
    }

    public var description: String {
        switch self {
        case .added(let path, let field): "added \(path) \(field.type.spelling) \(field.mode.rawValue)"
        case .removed(let path, let field): "removed \(path) \(field.type.spelling) \(field.mode.rawValue)"
        case .typeChanged(let path, let from, let to): "\(path): type \(from.spelling) → \(to.spelling)"
        case .modeChanged(let path, let from, let to): "\(path): mode \(from.rawValue) → \(to.rawValue)"
        }
    }
}

extension Array where Element == SchemaDifference {
    /// True when every difference only adds NULLABLE or REPEATED columns (also for no differences),
    /// so the older table can be patched in place.
    public var isPurelyAdditive: Bool {
        allSatisfy(\.isAdditive)
    }
}

extension TableSchema {
    /// What changes `other` (say, the live table) into this schema (say, the file), field by field.
    /// Field names match case-insensitively, as BigQuery's do.
    public func differences(from other: TableSchema) -> [SchemaDifference] {
        var result: [SchemaDifference] = []
        TableSchema.compare(fields, other.fields, parentPath: nil, into: &result)
        return result
    }

    private static func compare(_ new: [FieldSchema], _ old: [FieldSchema], parentPath: String?, into result: inout [SchemaDifference]) {
        var oldByName: [String: FieldSchema] = [:]
        for field in old { oldByName[field.name.lowercased()] = field }
        var newNames: Set<String> = []
        for field in new {
            let key = field.name.lowercased()
            newNames.insert(key)
            let path = SchemaReader.path(parentPath, field.name)
            guard let previous = oldByName[key] else {
                result.append(.added(path: path, field: field))
                continue
            }
            if previous.type.kind != field.type.kind {
                result.append(.typeChanged(path: path, from: previous.type, to: field.type))
            }
            if previous.mode != field.mode {
                result.append(.modeChanged(path: path, from: previous.mode, to: field.mode))
            }
            if previous.type.kind == .record && field.type.kind == .record {
                compare(field.fields, previous.fields, parentPath: path, into: &result)
            }
        }
        for field in old where !newNames.contains(field.name.lowercased()) {
            result.append(.removed(path: SchemaReader.path(parentPath, field.name), field: field))
        }
    }
}
