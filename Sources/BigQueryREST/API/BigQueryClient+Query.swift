import Logging
import SpoolJSON

extension BigQueryClient {
    /// Runs `sql` with `jobs.query` and reads every page of the result (`getQueryResults`), waiting for the
    /// job while it is not complete, up to `timeout` in all. With `dryRun`, BigQuery only checks the query (names,
    /// columns, types) and answers with its result's columns and no rows; a bad query fails as it would when run.
    /// An answer that reports the job's errors (the emulator answers a failed statement with HTTP 200 and `errors`)
    /// fails with the first of them.
    public func query(
        _ sql: String, useLegacySql: Bool = false, dryRun: Bool = false, timeout: Duration = .seconds(60)
    ) throws(BigQueryError) -> QueryResult {
        let operation = "jobs.query"
        let projectPath = try projectPath().get(operation)
        let deadline = ContinuousClock.now + timeout
        var body: [UInt8] = []
        JSONText.append(#"{"query":"#, to: &body)
        JSONText.appendString(sql, to: &body)
        JSONText.append(#","useLegacySql":"#, to: &body)
        JSONText.append(useLegacySql ? "true" : "false", to: &body)
        if dryRun {
            JSONText.append(#","dryRun":true"#, to: &body)
        }
        body.append(contentsOf: #","timeoutMs":\#(Self.milliseconds(min(timeout, Self.longestServerWait)))}"#.utf8)

        var page = try queryPage(execute(.post, path: projectPath + "/queries", jsonBody: body).get(operation), operation)
        var result = QueryResult(fieldNames: page.fieldNames, rows: page.rows, jobID: page.jobID)
        while !page.jobComplete || page.pageToken != nil {
            guard let jobID = page.jobID else {
                throw BigQueryError(
                    operation: operation,
                    failure: RequestFailure(kind: .garbage, message: "an incomplete query answer has no jobReference")
                )
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw BigQueryError(
                    operation: operation,
                    failure: RequestFailure(kind: .transport, message: "the query did not finish within \(timeout)")
                )
            }
            var query = "?timeoutMs=\(Self.milliseconds(min(remaining, Self.longestServerWait)))"
            if let location = page.location {
                query += "&location=\(PercentEncoding.encode(location))"
            }
            if let pageToken = page.pageToken {
                query += "&pageToken=\(PercentEncoding.encode(pageToken))"
            }
            let path = projectPath + "/queries/\(PercentEncoding.encode(jobID))" + query
            let wasComplete = page.jobComplete
            page = try queryPage(execute(.get, path: path).get("jobs.getQueryResults"), "jobs.getQueryResults")
            if result.fieldNames.isEmpty {
                result.fieldNames = page.fieldNames
            }
            // Rows that came with an incomplete answer are none; every later page adds its rows.
            result.rows.append(contentsOf: page.rows)
            if !wasComplete && page.jobComplete {
                logger.trace("query job complete", metadata: ["bigquery.job": "\(jobID)"])
            }
        }
        return result
    }

    private struct QueryPage {
        var jobComplete: Bool
        var jobID: String?
        var location: String?
        var pageToken: String?
        var fieldNames: [String]
        var rows: [[String?]]
    }

    private func queryPage(_ response: HTTPResponse, _ operation: String) throws(BigQueryError) -> QueryPage {
        func garbage() -> BigQueryError {
            BigQueryError(operation: operation, failure: .garbage(response, expected: "a query response"))
        }
        guard let object = response.jsonObject else {
            throw garbage()
        }
        if let first = object["errors"]?.arrayValue?.first?.objectValue {
            throw BigQueryError(operation: operation, failure: RequestFailure(
                kind: .httpError, httpStatus: response.status, errorReason: first["reason"]?.stringValue,
                message: String((first["message"]?.stringValue ?? "the query failed").prefix(500))
            ))
        }
        let reference = object["jobReference"]?.objectValue
        let complete = object["jobComplete"]?.boolValue ?? true
        let fields = object["schema"]?.objectValue?["fields"]?.arrayValue ?? []
        let names = fields.compactMap { $0.objectValue?["name"]?.stringValue }
        var rows: [[String?]] = []
        if let rawRows = object["rows"] {
            guard let rawRows = rawRows.arrayValue else { throw garbage() }
            rows.reserveCapacity(rawRows.count)
            for rawRow in rawRows {
                guard let cells = rawRow.objectValue?["f"]?.arrayValue else { throw garbage() }
                rows.append(cells.map { Self.text(of: $0.objectValue?["v"]) })
            }
        }
        let token = object["pageToken"]?.stringValue
        return QueryPage(
            jobComplete: complete,
            jobID: reference?["jobId"]?.stringValue,
            location: reference?["location"]?.stringValue,
            pageToken: token?.isEmpty == false ? token : nil,
            fieldNames: names,
            rows: rows
        )
    }

    /// A cell's value as text: strings as they are, numbers as written, RECORD and REPEATED values as JSON text.
    private static func text(of value: JSONValue?) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let string)?: return string
        case .number(let literal)?: return literal
        case .bool(let flag)?: return flag ? "true" : "false"
        case let nested?: return nested.serialized()
        }
    }

    /// How long one call lets BigQuery hold the answer while the job runs: well inside the HTTP timeout,
    /// so a long query is waited for by polling rather than by one request that the client would time out.
    private static let longestServerWait: Duration = .seconds(10)

    private static func milliseconds(_ duration: Duration) -> Int64 {
        duration.timeoutMilliseconds
    }
}
