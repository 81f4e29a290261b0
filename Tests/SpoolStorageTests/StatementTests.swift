import Foundation
import Testing
@testable import SpoolStorage

/// Two of a statement's result columns, found by name.
private struct PairColumns: ResultColumns {
    let name: Column
    let count: Column

    init(_ statement: Statement) throws(SpoolError) {
        name = try statement.column("name")
        count = try statement.column("count")
    }
}

@Suite("Statements and transactions")
struct StatementTests {
    /// A read-write connection to a new file with one table `t (n INTEGER)`.
    private func connection(_ directory: TestDirectory) throws -> SQLiteConnection {
        let connection = try SQLiteConnection(path: directory.path("plain.db"), options: SQLiteConnection.Options())
        try connection.withDatabase { (database: Database) throws(SpoolError) in try database.execute("CREATE TABLE t (n INTEGER)") }
        return connection
    }

    private func values(_ connection: SQLiteConnection) throws -> [Int64] {
        try connection.withDatabase { (database: Database) throws(SpoolError) -> [Int64] in
            let statement = try database.statement("SELECT n FROM t ORDER BY n")
            defer { statement.reset() }
            let n = try statement.column("n")
            var values: [Int64] = []
            while try statement.step() { values.append(statement.int64(n)) }
            return values
        }
    }

    @Test("rows are read by column name, whatever order the statement answers them in")
    func columnsAreFoundByName() throws {
        let directory = try TestDirectory()
        let connection = try connection(directory)
        defer { connection.close() }
        let read = try connection.withDatabase { (database: Database) throws(SpoolError) -> [String] in
            var read: [String] = []
            for sql in ["SELECT 'a' AS name, 1 AS count", "SELECT 2 AS count, 'b' AS name"] {
                let statement = try database.statement(sql)
                defer { statement.reset() }
                let columns = try statement.columns(PairColumns.self)
                // Twice: the second use of the prepared statement reads through the columns found the first time.
                for _ in 0..<2 {
                    statement.reset()
                    guard try statement.step() else { continue }
                    read.append("\(statement.text(columns.name))=\(statement.int(columns.count))")
                }
            }
            return read
        }
        #expect(read == ["a=1", "a=1", "b=2", "b=2"])
    }

    @Test("a column the statement does not answer is a storage error that names the column and the SQL, not a value")
    func unknownColumnIsAStorageError() throws {
        let directory = try TestDirectory()
        let connection = try connection(directory)
        defer { connection.close() }
        let error = #expect(throws: SpoolError.self) {
            try connection.withDatabase { (database: Database) throws(SpoolError) in
                let statement = try database.statement("SELECT 'secret-value' AS name")
                defer { statement.reset() }
                _ = try statement.columns(PairColumns.self)
            }
        }
        #expect(error?.code == .storage)
        #expect(error?.message.contains("count") == true && error?.message.contains("SELECT") == true, "\(String(describing: error))")
    }

    @Test("work nested in a transaction runs in a savepoint: when it fails, only its own changes are rolled back")
    func nestedWorkRollsBackAlone() throws {
        let directory = try TestDirectory()
        let connection = try connection(directory)
        defer { connection.close() }
        try connection.withDatabase { (database: Database) throws(SpoolError) in
            try database.immediateTransaction { (database: Database) throws(SpoolError) in
                try database.execute("INSERT INTO t VALUES (1)")
                let nested = Result { () throws(SpoolError) in
                    try database.immediateTransaction { (database: Database) throws(SpoolError) in
                        try database.execute("INSERT INTO t VALUES (2)")
                        throw SpoolError(.storage, "the nested work fails")
                    }
                }
                #expect(throws: SpoolError.self) { try nested.get() }
                #expect(database.isInTransaction, "the enclosing transaction goes on")
                try database.immediateTransaction { (database: Database) throws(SpoolError) in
                    try database.execute("INSERT INTO t VALUES (3)")
                }
            }
            #expect(!database.isInTransaction)
        }
        #expect(try values(connection) == [1, 3])
    }

    @Test("outside a transaction the same work is a transaction of its own: a failure leaves nothing behind")
    func unnestedWorkIsATransaction() throws {
        let directory = try TestDirectory()
        let connection = try connection(directory)
        defer { connection.close() }
        #expect(throws: SpoolError.self) {
            try connection.withDatabase { (database: Database) throws(SpoolError) in
                try database.immediateTransaction { (database: Database) throws(SpoolError) in
                    try database.execute("INSERT INTO t VALUES (1)")
                    throw SpoolError(.storage, "the work fails")
                }
            }
        }
        try connection.withDatabase { (database: Database) throws(SpoolError) in
            #expect(!database.isInTransaction)
            try database.immediateTransaction { (database: Database) throws(SpoolError) in try database.execute("INSERT INTO t VALUES (4)") }
        }
        #expect(try values(connection) == [4])
    }
}
