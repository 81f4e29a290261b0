import CSQLite

private nonisolated(unsafe) let emptyCString: UnsafePointer<CChar> = {
    let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: 1)
    pointer.pointee = 0
    return UnsafePointer(pointer)
}()

/// A prepared statement. It is finalized when released, so a statement can never leak past its connection's use.
///
/// Not thread-safe: statements live inside a `SQLiteConnection`'s lock.
package final class Statement {
    private let handle: OpaquePointer
    private let database: OpaquePointer
    package let sql: String
    /// Result column names to indexes, read once (`column(_:)`).
    private var columnIndexes: [String: Int32]?
    /// Column sets already found by name (`columns(_:)`), by type.
    private var resolvedColumns: [ObjectIdentifier: Any] = [:]

    init(database: OpaquePointer, sql: String, persistent: Bool) throws(SpoolError) {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(database, sql, -1, flags, &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            throw SQLiteResult.error(rc, database: database, sql: sql)
        }
        self.handle = statement
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding (1-based indexes, as in SQL)

    package func bind(_ index: Int32, _ value: Int64) throws(SpoolError) {
        try check(sqlite3_bind_int64(handle, index, value))
    }

    package func bind(_ index: Int32, _ value: Int) throws(SpoolError) {
        try bind(index, Int64(value))
    }

    package func bind(_ index: Int32, _ value: String) throws(SpoolError) {
        var value = value
        let rc = value.withUTF8 { bytes in
            spool_sqlite3_bind_text_transient(handle, index, cText(bytes), Int32(bytes.count))
        }
        try check(rc)
    }

    package func bind(_ index: Int32, _ value: String?) throws(SpoolError) {
        if let value { try bind(index, value) } else { try bindNull(index) }
    }

    package func bind(_ index: Int32, _ value: Int64?) throws(SpoolError) {
        if let value { try bind(index, value) } else { try bindNull(index) }
    }

    /// Binds UTF-8 text without copying it; the bytes must stay valid until the statement is reset.
    package func bindNoCopy(_ index: Int32, _ text: UnsafeBufferPointer<UInt8>) throws(SpoolError) {
        try check(spool_sqlite3_bind_text_static(handle, index, cText(text), Int32(text.count)))
    }

    package func bindNull(_ index: Int32) throws(SpoolError) {
        try check(sqlite3_bind_null(handle, index))
    }

    // MARK: Stepping

    /// Runs the statement one step: `true` when a row is available, `false` when done.
    @discardableResult
    package func step() throws(SpoolError) -> Bool {
        let rc = sqlite3_step(handle)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = SQLiteResult.error(rc, database: database, sql: sql)
            sqlite3_reset(handle)
            throw error
        }
    }

    /// Resets the statement and clears its bindings, ready for the next use.
    package func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    /// Runs a statement that returns no rows, then resets it.
    package func run() throws(SpoolError) {
        defer { reset() }
        while try step() {}
    }

    /// Rows changed by the last completed INSERT, UPDATE or DELETE on this connection.
    package var changes: Int { Int(sqlite3_changes(database)) }

    // MARK: Reading columns by name

    /// The result column called `name`: its `AS` alias, else the table column's own name. The names are read from
    /// SQLite once per prepared statement; a name the statement does not answer is a programming error, thrown as
    /// `.storage` with the SQL (never with values).
    package func column(_ name: String) throws(SpoolError) -> Column {
        if columnIndexes == nil {
            var indexes: [String: Int32] = [:]
            for index in 0..<sqlite3_column_count(handle) {
                guard let name = sqlite3_column_name(handle, index) else { continue }
                indexes[String(cString: name)] = index
            }
            columnIndexes = indexes
        }
        guard let index = columnIndexes?[name] else {
            throw SpoolError(.storage, "the statement answers no column named \(name): \(sql)")
        }
        return Column(index: index)
    }

    /// The columns a reader needs, found by name the first time and kept with this prepared statement: reading a
    /// row by name then costs what reading it by position does.
    package func columns<Columns: ResultColumns>(_ type: Columns.Type) throws(SpoolError) -> Columns {
        let key = ObjectIdentifier(type)
        if let found = resolvedColumns[key] as? Columns { return found }
        let columns = try Columns(self)
        resolvedColumns[key] = columns
        return columns
    }

    package func int64(_ column: Column) -> Int64 {
        sqlite3_column_int64(handle, column.index)
    }

    package func int(_ column: Column) -> Int {
        Int(sqlite3_column_int64(handle, column.index))
    }

    package func optionalInt64(_ column: Column) -> Int64? {
        isNull(column) ? nil : int64(column)
    }

    package func text(_ column: Column) -> String {
        guard let pointer = sqlite3_column_text(handle, column.index) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column.index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    package func optionalText(_ column: Column) -> String? {
        isNull(column) ? nil : text(column)
    }

    package func isNull(_ column: Column) -> Bool {
        sqlite3_column_type(handle, column.index) == SQLITE_NULL
    }

    /// SQLite binds a NULL pointer as SQL NULL, so empty text needs a real (empty) C string.
    private func cText(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafePointer<CChar> {
        guard let base = bytes.baseAddress else { return emptyCString }
        return UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self)
    }

    private func check(_ rc: Int32) throws(SpoolError) {
        guard rc == SQLITE_OK else { throw SQLiteResult.error(rc, database: database, sql: sql) }
    }
}

/// A result column of a prepared statement, found by name with `Statement.column(_:)`.
package struct Column: Sendable {
    fileprivate let index: Int32

    /// The one column of a statement that answers a single value (a PRAGMA, a count).
    static let only = Column(index: 0)
}

/// The result columns one reader needs, found by name once per prepared statement (`Statement.columns(_:)`).
package protocol ResultColumns {
    init(_ statement: Statement) throws(SpoolError)
}
