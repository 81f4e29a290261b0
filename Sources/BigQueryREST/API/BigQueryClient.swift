import Foundation
import Logging

/// BigQuery's REST API: streaming inserts, table and dataset management, and queries.
///
/// Not thread-safe: a client owns one `HTTPClient` (one libcurl handle and its open connections) and belongs
/// to one thread. The credentials provider may be shared with other clients.
///
/// Every request carries `Authorization: Bearer …` when the provider gives a token. After an HTTP 401 the
/// token is invalidated, fetched again and the request retried exactly once.
public final class BigQueryClient {
    public let endpoint: String
    public let project: String
    public let credentials: any AccessTokenProvider
    public let compressRequests: Bool
    package let http: HTTPClient
    package let logger: Logger

    /// - Parameters:
    ///   - endpoint: `https://bigquery.googleapis.com`, or an emulator's `http://127.0.0.1:PORT`.
    ///   - compressRequests: gzip request bodies (BigQuery accepts `Content-Encoding: gzip`).
    ///   - logger: requests are logged at debug and trace level, without bodies or tokens.
    public init(
        endpoint: String = "https://bigquery.googleapis.com",
        project: String,
        credentials: any AccessTokenProvider,
        http: HTTPClient.Configuration = HTTPClient.Configuration(),
        compressRequests: Bool = true,
        logger: Logger
    ) {
        var endpoint = endpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        self.project = project
        self.credentials = credentials
        self.http = HTTPClient(configuration: http)
        self.compressRequests = compressRequests
        self.logger = logger
    }

    /// Streams rows into `dataset.table` with `tabledata.insertAll`. Never throws: every outcome, including
    /// invalid ids, is an `InsertAllResult`.
    public func insertAll(
        dataset: String,
        table: String,
        rows: [InsertAllRow],
        skipInvalidRows: Bool = false,
        ignoreUnknownValues: Bool = false,
        templateSuffix: String? = nil
    ) -> InsertAllResult {
        let path: String
        switch tablePath(dataset: dataset, table: table, suffix: "/insertAll") {
        case .success(let value): path = value
        case .failure(let failure): return .failed(failure)
        }
        let body = InsertAllWire.requestBody(
            rows: rows, skipInvalidRows: skipInvalidRows, ignoreUnknownValues: ignoreUnknownValues,
            templateSuffix: templateSuffix
        )
        var metadata: Logger.Metadata = ["bigquery.table": "\(dataset).\(table)", "bigquery.rows": "\(rows.count)"]
        let result: InsertAllResult
        switch execute(.post, path: path, jsonBody: body, metadata: metadata) {
        case .failure(let failure):
            result = .failed(failure)
        case .success(let response):
            result = InsertAllWire.parseSuccess(response, rowCount: rows.count)
        }
        switch result {
        case .response(let status, let insertErrors):
            metadata["http.status"] = "\(status)"
            metadata["bigquery.rows_with_errors"] = "\(insertErrors.count)"
            logger.debug("insertAll answered", metadata: metadata)
        case .failed(let failure):
            // Kind, status and reason only: Google's message may quote parts of the request.
            metadata["bigquery.failure"] = "\(failure.kind)"
            if let status = failure.httpStatus { metadata["http.status"] = "\(status)" }
            if let reason = failure.errorReason { metadata["bigquery.error_reason"] = "\(reason)" }
            if let transport = failure.transportError { metadata["http.error"] = "\(transport.kind)" }
            logger.debug("insertAll failed", metadata: metadata)
        }
        return result
    }

    // MARK: Requests

    /// Sends one request to `endpoint + path` with the token, retrying once after a 401. A 2xx answer is a
    /// success; any other status is a failure read from Google's error body.
    package func execute(
        _ method: HTTPMethod, path: String, jsonBody: [UInt8]? = nil, metadata: Logger.Metadata = [:]
    ) -> Result<HTTPResponse, RequestFailure> {
        var request = HTTPRequest(method: method, url: endpoint + path)
        request.headers.add(name: "Accept", value: "application/json")
        if let jsonBody {
            request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
            request.body = jsonBody
            request.compressBody = compressRequests
        }
        var metadata = metadata
        metadata["http.method"] = "\(method)"
        metadata["http.path"] = "\(path)"
        for attempt in 1...2 {
            let token: String?
            do {
                token = try credentials.accessToken(using: http)
            } catch {
                return .failure(
                    RequestFailure(kind: .credentials, message: error.message, credentialsError: error)
                )
            }
            var authorized = request
            if let token {
                authorized.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(token)")
            }
            logger.trace("BigQuery request", metadata: metadata)
            let response: HTTPResponse
            do {
                response = try http.send(authorized)
            } catch {
                return .failure(RequestFailure(kind: .transport, message: error.message, transportError: error))
            }
            metadata["http.status"] = "\(response.status)"
            logger.trace("BigQuery answer", metadata: metadata)
            if response.status == 401, attempt == 1, token != nil {
                logger.debug("BigQuery answered 401; refreshing the access token once", metadata: metadata)
                credentials.invalidate()
                continue
            }
            return response.isSuccess ? .success(response) : .failure(.http(response))
        }
        preconditionFailure("the loop returns on its second attempt")
    }

    // MARK: Paths

    package func projectPath() -> Result<String, RequestFailure> {
        guard BigQueryIdentifier.isValidProjectID(project) else {
            return .failure(invalidID("project", project))
        }
        return .success("/bigquery/v2/projects/\(PercentEncoding.encode(project))")
    }

    package func datasetPath(dataset: String) -> Result<String, RequestFailure> {
        guard BigQueryIdentifier.isValidDatasetID(dataset) else {
            return .failure(invalidID("dataset", dataset))
        }
        return projectPath().map { "\($0)/datasets/\(PercentEncoding.encode(dataset))" }
    }

    package func tablePath(dataset: String, table: String, suffix: String = "") -> Result<String, RequestFailure> {
        guard BigQueryIdentifier.isValidTableID(table) else {
            return .failure(invalidID("table", table))
        }
        return datasetPath(dataset: dataset).map { "\($0)/tables/\(PercentEncoding.encode(table))\(suffix)" }
    }

    private func invalidID(_ what: String, _ id: String) -> RequestFailure {
        // Ids are configuration, not payload: quoting a short prefix helps find the typo.
        RequestFailure(kind: .invalidRequest, message: "\"\(id.prefix(80))\" is not a valid BigQuery \(what) id")
    }
}
