/// Finds the column a JSON key names. BigQuery matches keys to column names case-insensitively, an exact match
/// first. Shared by local validation and the Storage Write encoder so both read a row the same way.
public struct ColumnLookup: Sendable {
    @usableFromInline let names: [String]
    @usableFromInline let exact: [String: Int]
    @usableFromInline let folded: [String: Int]

    /// `names` in column order; a position returned is an index into it.
    public init(names: [String]) {
        self.names = names
        var exact: [String: Int] = [:]
        var folded: [String: Int] = [:]
        for (position, name) in names.enumerated() {
            exact[name] = position
            folded[name.lowercased()] = position
        }
        self.exact = exact
        self.folded = folded
    }

    /// The position of the column `key` names, or nil. The column after `previous` (the previous key's) is tried
    /// first: events are mostly written in their schema's column order, and comparing one name costs less than
    /// hashing it.
    @inlinable @inline(__always)
    public func position(of key: String, after previous: Int) -> Int? {
        let next = previous + 1
        if next < names.count, names[next] == key { return next }
        if let position = exact[key] { return position }
        return folded[key.lowercased()]
    }
}
