import BigQueryREST
import Foundation
import Spool
import SpoolSchema
import SpoolTestSupport

/// Settings that keep stub tests fast: short backoff and timeouts, no credentials.
func fastUploaderConfiguration() -> UploaderConfiguration {
    var configuration = UploaderConfiguration()
    configuration.initialBackoff = .milliseconds(20)
    configuration.maxBackoff = .milliseconds(200)
    configuration.requestTimeout = .seconds(2)
    configuration.connectTimeout = .seconds(1)
    configuration.pollInterval = .milliseconds(20)
    configuration.credentials = .none
    return configuration
}

/// A search event; `responseTime` is spliced as JSON text, so 12.7 or "abc" make it invalid for BigQuery.
func searchEvent(_ id: String, responseTime: String = "12") -> String {
    #"{"event_id":"\#(id)","user_id":"u1","query":"bananas","response_time_ms":\#(responseTime),"timestamp":"2026-11-26T10:00:00Z"}"#
}

extension BigQueryStub {
    /// Judges rows of a table the way BigQuery does, with Spool's validator and the seed's schema.
    func judgeLikeBigQuery(dataset: String, table: String, schema: TableSchema) {
        let validator = SpoolSchema.RowValidator(schema: schema)
        setRowValidator(dataset: dataset, table: table) { json in
            validator.validate(json: json).map { BigQueryStub.RowError(reason: $0.reason, location: $0.location, message: $0.message) }
        }
    }

    func storedEventIds(dataset: String, table: String) -> [String] {
        storedRows(dataset: dataset, table: table).compactMap { row in
            (try? JSONParser.parse(row.json))?.objectValue?["event_id"]?.stringValue
        }
    }
}

/// Counts tokens handed out and invalidations, to check the 401 path.
final class CountingTokenProvider: AccessTokenProvider, @unchecked Sendable {
    private let lock = NSLock()
    private var issued = 0
    private var invalidations = 0

    func accessToken(using http: HTTPClient) throws(CredentialsError) -> String? {
        lock.withLock {
            issued += 1
            return "token-\(issued - invalidations > 0 ? invalidations : 0)"
        }
    }

    func invalidate() {
        lock.withLock { invalidations += 1 }
    }

    var invalidationCount: Int { lock.withLock { invalidations } }
    var sourceDescription: String { "test tokens" }
}
