/// Dead letters, on the worker connection: listing and reading them, moving them back to the outbox, deleting them.
extension Outbox {
    package func deadLetters(matching filter: DeadLetterFilter) throws(SpoolError) -> [DeadLetter] {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> [DeadLetter] in
            let statement = try database.statement(SQL.listDeadLetters)
            defer { statement.reset() }
            let columns = try statement.columns(DeadLetterColumns.self)
            try statement.bind(1, filter.table)
            try statement.bind(2, filter.reason)
            try statement.bind(3, filter.since)
            try statement.bind(4, filter.limit)
            var letters: [DeadLetter] = []
            while try statement.step() { letters.append(columns.deadLetter(statement)) }
            return letters
        }
    }

    package func deadLetter(id: Int64) throws(SpoolError) -> DeadLetter? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> DeadLetter? in
            let statement = try database.statement(SQL.deadLetterByID)
            defer { statement.reset() }
            let columns = try statement.columns(DeadLetterColumns.self)
            try statement.bind(1, id)
            return try statement.step() ? columns.deadLetter(statement) : nil
        }
    }

    /// Moves dead letters back to the outbox with their original insert id, due now. Returns how many moved.
    package func requeueDeadLetters(ids: [Int64], now: Int64) throws(SpoolError) -> Int {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                let requeue = try database.statement(SQL.requeue)
                let delete = try database.statement(SQL.deleteDeadLetter)
                var moved = 0
                for id in ids {
                    try requeue.bind(1, id)
                    try requeue.bind(2, now)
                    try requeue.run()
                    guard requeue.changes == 1 else { continue }
                    try delete.bind(1, id)
                    try delete.run()
                    moved += 1
                }
                return moved
            }
        }
    }

    /// Deletes dead letters for good. Returns how many were removed.
    package func purgeDeadLetters(ids: [Int64]) throws(SpoolError) -> Int {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> Int in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> Int in
                let delete = try database.statement(SQL.deleteDeadLetter)
                var removed = 0
                for id in ids {
                    try delete.bind(1, id)
                    try delete.run()
                    removed += delete.changes
                }
                return removed
            }
        }
    }
}

/// `SQL.listDeadLetters` and `SQL.deadLetterByID`: one row of dead_letters.
private struct DeadLetterColumns: ResultColumns {
    let id: Column
    let table: Column
    let insertId: Column
    let reason: Column
    let location: Column
    let message: Column
    let attempts: Column
    let createdAt: Column
    let deadLetteredAt: Column
    let payload: Column

    init(_ statement: Statement) throws(SpoolError) {
        id = try statement.column("id")
        table = try statement.column("table_name")
        insertId = try statement.column("insert_id")
        reason = try statement.column("reason")
        location = try statement.column("location")
        message = try statement.column("message")
        attempts = try statement.column("attempts")
        createdAt = try statement.column("created_at")
        deadLetteredAt = try statement.column("dead_lettered_at")
        payload = try statement.column("payload")
    }

    /// The dead letter on the statement's current row.
    func deadLetter(_ statement: Statement) -> DeadLetter {
        DeadLetter(
            id: statement.int64(id), table: statement.text(table), insertId: statement.text(insertId),
            reason: statement.text(reason), location: statement.text(location), message: statement.text(message),
            attempts: statement.int(attempts), createdAt: statement.text(createdAt),
            deadLetteredAt: statement.text(deadLetteredAt), payload: statement.text(payload)
        )
    }
}
