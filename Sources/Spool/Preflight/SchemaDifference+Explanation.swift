import SpoolSchema

extension SchemaDifference {
    /// The difference in words, for a difference computed as `local.differences(from: remote)`: what the schema
    /// file says against what the live table has.
    public var explanation: String {
        switch self {
        case .added(let path, let field):
            "\(path): \(field.type.spelling) \(field.mode.rawValue) in the schema file, missing from the table"
        case .removed(let path, let field):
            "\(path): \(field.type.spelling) \(field.mode.rawValue) in the table, not in the schema file"
        case .typeChanged(let path, let remote, let local):
            "\(path): type \(remote.kind.rawValue) in the table, \(local.kind.rawValue) in the schema file"
        case .modeChanged(let path, let remote, let local):
            "\(path): mode \(remote.rawValue) in the table, \(local.rawValue) in the schema file"
        }
    }
}
