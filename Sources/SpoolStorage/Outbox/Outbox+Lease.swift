/// The uploader lease, on the worker connection: one uploader drains a file at a time.
extension Outbox {
    /// Takes or renews the uploader lease for `holder`, unless another holder's lease is still unexpired.
    package func acquireLease(holder: String, now: Int64, ttl: Duration) throws(SpoolError) -> LeaseAttempt {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> LeaseAttempt in
            try writeTransaction(database) { (database: Database) throws(SpoolError) -> LeaseAttempt in
                if let current = try Self.readLease(database), current.holder != holder, current.expiresAt > now {
                    return .heldByOther(current)
                }
                let write = try database.statement(SQL.writeLease)
                try write.bind(1, holder)
                try write.bind(2, now)
                try write.bind(3, now + ttl.inMilliseconds)
                try write.run()
                guard let lease = try Self.readLease(database) else {
                    throw SpoolError(.storage, "the uploader lease of \(path) vanished while it was written")
                }
                return .acquired(lease)
            }
        }
    }

    /// Gives the lease up, if `holder` has it.
    package func releaseLease(holder: String) throws(SpoolError) {
        try write(SQL.releaseLease) { (statement: Statement) throws(SpoolError) in try statement.bind(1, holder) }
    }

    package func lease() throws(SpoolError) -> UploaderLease? {
        try worker.withDatabase { (database: Database) throws(SpoolError) -> UploaderLease? in try Self.readLease(database) }
    }

    /// The lease as recorded (status reads it too, in its snapshot); nil when nobody has held it or it was given up.
    static func readLease(_ database: Database) throws(SpoolError) -> UploaderLease? {
        let statement = try database.statement(SQL.readLease)
        defer { statement.reset() }
        let columns = try statement.columns(LeaseColumns.self)
        guard try statement.step() else { return nil }
        return UploaderLease(
            holder: statement.text(columns.holder), acquiredAt: statement.int64(columns.acquiredAt),
            renewedAt: statement.int64(columns.renewedAt), expiresAt: statement.int64(columns.expiresAt)
        )
    }
}

/// `SQL.readLease`.
private struct LeaseColumns: ResultColumns {
    let holder: Column
    let acquiredAt: Column
    let renewedAt: Column
    let expiresAt: Column

    init(_ statement: Statement) throws(SpoolError) {
        holder = try statement.column("holder")
        acquiredAt = try statement.column("acquired_at")
        renewedAt = try statement.column("renewed_at")
        expiresAt = try statement.column("expires_at")
    }
}
