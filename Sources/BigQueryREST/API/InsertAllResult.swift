/// BigQuery's `ErrorProto`: one reason why a row was not stored.
public struct ErrorProto: Sendable, Equatable {
    /// `invalid`, `stopped`, `timeout`, `backendError` …
    public var reason: String
    /// The offending field, or "" for the whole row.
    public var location: String
    public var message: String
    public var debugInfo: String?

    public init(reason: String, location: String, message: String, debugInfo: String? = nil) {
        self.reason = reason
        self.location = location
        self.message = message
        self.debugInfo = debugInfo
    }
}

/// The errors of one row of an insertAll request, by its position in the request.
public struct InsertErrorEntry: Sendable, Equatable {
    public var index: Int
    public var errors: [ErrorProto]

    public init(index: Int, errors: [ErrorProto]) {
        self.index = index
        self.errors = errors
    }
}

/// What became of an insertAll request.
public enum InsertAllResult: Sendable {
    /// BigQuery answered 2xx. Rows without an entry in `insertErrors` were stored, unless another row was
    /// `invalid` and the others came back `stopped`.
    case response(status: Int, insertErrors: [InsertErrorEntry])
    /// No row-level answer: an HTTP error, a transport failure, an unreadable answer or no token.
    case failed(RequestFailure)
}
