import CSQLite

/// Maps SQLite result codes to Spool's error codes, with SQLite's words and the statement (never bound values).
enum SQLiteResult {
    static func error(_ resultCode: Int32, database: OpaquePointer?, sql: String?) -> SpoolError {
        let extended = database.map { sqlite3_extended_errcode($0) } ?? resultCode
        let words = database.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(resultCode))
        var message = "SQLite error \(extended): \(words)"
        if let sql {
            message += " (while running: \(sql.split(separator: "\n").map { $0.trimmingLeadingSpaces() }.joined(separator: " ")))"
        }
        return SpoolError(code(for: resultCode & 0xff), message, sqliteCode: extended)
    }

    static func code(for primary: Int32) -> SpoolError.Code {
        switch primary {
        case SQLITE_FULL: .diskFull
        case SQLITE_NOTADB: .notADatabase
        case SQLITE_CORRUPT: .corrupt
        case SQLITE_READONLY: .readOnly
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_AUTH: .cannotOpen
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_IOERR: .io
        default: .storage
        }
    }
}

extension Substring {
    fileprivate func trimmingLeadingSpaces() -> Substring {
        drop(while: { $0 == " " })
    }
}
