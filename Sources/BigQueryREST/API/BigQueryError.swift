/// Why a table, dataset or query call failed. Carries Google's reason and message (e.g. reason `duplicate`
/// for a dataset or table that already exists, `notFound` for a missing one) or the transport error.
public struct BigQueryError: Error, Sendable, CustomStringConvertible {
    /// The failure in the same terms as insertAll's.
    public let failure: RequestFailure
    /// The operation that failed, e.g. "tables.get d.t".
    public let operation: String

    package init(operation: String, failure: RequestFailure) {
        self.operation = operation
        self.failure = failure
    }

    public var kind: RequestFailure.Kind { failure.kind }
    public var httpStatus: Int? { failure.httpStatus }
    public var reason: String? { failure.errorReason }
    public var message: String { failure.message }
    public var transportError: HTTPClientError? { failure.transportError }
    public var credentialsError: CredentialsError? { failure.credentialsError }

    /// The resource exists already (HTTP 409 `duplicate`): creating it again is a no-op for callers.
    public var isDuplicate: Bool { failure.errorReason == "duplicate" }
    /// HTTP 404 `notFound`.
    public var isNotFound: Bool { failure.httpStatus == 404 }

    public var description: String { "BigQuery \(operation) failed: \(failure)" }
}
