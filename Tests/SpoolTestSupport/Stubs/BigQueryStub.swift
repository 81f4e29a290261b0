import Foundation
import Synchronization

/// A BigQuery REST stub on loopback that answers as Google documents: row verdicts for insertAll
/// (`invalid` for bad rows, `stopped` for the others, nothing stored), insertId de-duplication, scripted
/// failures, missing tables, and tables.get / tables.insert / tables.patch / datasets.insert.
///
/// Tables need not be created before insertAll: every table accepts rows unless marked missing.
public final class BigQueryStub: Sendable {
    /// A row's verdict from a validator: BigQuery's reason, location and message.
    public struct RowError: Sendable, Equatable {
        public var reason: String
        public var location: String
        public var message: String

        public init(reason: String = "invalid", location: String, message: String) {
            self.reason = reason
            self.location = location
            self.message = message
        }
    }

    /// Decides whether a row is valid. It receives the row's `json` object as JSON text (keys sorted).
    public typealias RowValidator = @Sendable (_ rowJSON: String) -> RowError?

    public struct StoredRow: Sendable, Equatable {
        public var insertId: String?
        /// The row as JSON text (keys sorted).
        public var json: String
    }

    private struct TableKey: Hashable {
        var dataset: String
        var table: String
    }

    private struct TableState {
        var validator: RowValidator?
        var rows: [StoredRow] = []
        var seenInsertIds: Set<String> = []
        var duplicates = 0
        var missing = false
        /// The table resource as tables.get answers it, once created.
        var resource: String?
    }

    private struct State {
        var tables: [TableKey: TableState] = [:]
        var datasets: Set<String> = []
        var script: [StubReply] = []
        var acceptToken: (@Sendable (String?) -> Bool)?
    }

    public let project: String
    private let state = Mutex(State())
    private let serverBox = Mutex<LoopbackHTTPServer?>(nil)

    public init(project: String = "test-project") throws {
        self.project = project
        let server = try LoopbackHTTPServer { [weak self] request in
            self?.answer(request) ?? .resetConnection
        }
        serverBox.withLock { $0 = server }
    }

    public var server: LoopbackHTTPServer { serverBox.withLock { $0! } }

    /// The endpoint to give a `BigQueryClient`: `http://127.0.0.1:PORT`.
    public var endpoint: String { server.baseURL }

    public func stop() {
        server.stop()
    }

    // MARK: Configuration

    /// Validates every row sent to `dataset.table`.
    public func setRowValidator(dataset: String, table: String, _ validator: RowValidator?) {
        withTable(dataset, table) { $0.validator = validator }
    }

    /// Makes insertAll and tables.get answer 404 `notFound` for the table until set back.
    public func setTableMissing(dataset: String, table: String, _ missing: Bool = true) {
        withTable(dataset, table) { $0.missing = missing }
    }

    /// Creates a table that tables.get describes. `schemaFields` is the JSON array of fields.
    public func createTable(
        dataset: String, table: String, schemaFields: String, timePartitioningField: String? = nil,
        clustering: [String]? = nil
    ) {
        var extra = ""
        if let timePartitioningField {
            extra += #","timePartitioning":{"type":"DAY","field":\#(quoted(timePartitioningField))}"#
        }
        if let clustering {
            extra += #","clustering":{"fields":[\#(clustering.map(quoted).joined(separator: ","))]}"#
        }
        let resource = tableResource(dataset: dataset, table: table, schemaFields: schemaFields, extra: extra)
        state.withLock { state in
            state.datasets.insert(dataset)
            state.tables[TableKey(dataset: dataset, table: table), default: TableState()].resource = resource
        }
    }

    /// Queues replies that the next requests get instead of the normal answer, one per request, in order.
    public func enqueue(_ replies: StubReply...) {
        state.withLock { $0.script.append(contentsOf: replies) }
    }

    /// Scripted replies not consumed yet.
    public var pendingScriptedReplies: Int {
        state.withLock { $0.script.count }
    }

    /// Answers 401 to requests whose bearer token (nil when absent) `accept` refuses.
    public func requireAuthorization(_ accept: (@Sendable (_ bearerToken: String?) -> Bool)?) {
        state.withLock { $0.acceptToken = accept }
    }

    // MARK: Inspection

    public func storedRows(dataset: String, table: String) -> [StoredRow] {
        state.withLock { $0.tables[TableKey(dataset: dataset, table: table)]?.rows ?? [] }
    }

    /// Rows not stored again because their insertId was already seen.
    public func duplicateCount(dataset: String, table: String) -> Int {
        state.withLock { $0.tables[TableKey(dataset: dataset, table: table)]?.duplicates ?? 0 }
    }

    public func datasetExists(_ dataset: String) -> Bool {
        state.withLock { $0.datasets.contains(dataset) }
    }

    /// The table resource JSON tables.get would answer, or nil.
    public func tableResource(dataset: String, table: String) -> String? {
        state.withLock { $0.tables[TableKey(dataset: dataset, table: table)]?.resource }
    }

    public var requests: [ReceivedRequest] { server.requests }

    public var insertAllRequests: [ReceivedRequest] {
        requests.filter { $0.method == "POST" && $0.path.hasSuffix("/insertAll") }
    }

    // MARK: Answers

    private func answer(_ request: ReceivedRequest) -> StubReply {
        let scripted: StubReply? = state.withLock { state in
            state.script.isEmpty ? nil : state.script.removeFirst()
        }
        if let scripted { return scripted }
        if let accept = state.withLock({ $0.acceptToken }) {
            let authorization = request.header("Authorization")
            let token = authorization.flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            if !accept(token) { return GoogleErrorReply.unauthorized() }
        }
        let prefix = "/bigquery/v2/projects/"
        guard request.path.hasPrefix(prefix) else { return notImplemented(request) }
        let segments = request.path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
            .map { String($0).removingPercentEncoding ?? String($0) }
        guard let project = segments.first, project == self.project else {
            return GoogleErrorReply.reply(status: 404, reason: "notFound", message: "Not found: Project \(segments.first ?? "")")
        }
        let rest = Array(segments.dropFirst())
        switch (request.method, rest.count) {
        case ("POST", 5) where rest[0] == "datasets" && rest[2] == "tables" && rest[4] == "insertAll":
            return insertAll(request, dataset: rest[1], table: rest[3])
        case ("GET", 4) where rest[0] == "datasets" && rest[2] == "tables":
            return getTable(dataset: rest[1], table: rest[3])
        case ("PATCH", 4) where rest[0] == "datasets" && rest[2] == "tables":
            return patchTable(request, dataset: rest[1], table: rest[3])
        case ("POST", 3) where rest[0] == "datasets" && rest[2] == "tables":
            return insertTable(request, dataset: rest[1])
        case ("POST", 1) where rest[0] == "datasets":
            return insertDataset(request)
        default:
            return notImplemented(request)
        }
    }

    private func insertAll(_ request: ReceivedRequest, dataset: String, table: String) -> StubReply {
        guard let body = request.jsonBody() as? [String: Any] else {
            return GoogleErrorReply.reply(status: 400, reason: "parseError", message: "Parse error: the request body is not valid JSON.")
        }
        let key = TableKey(dataset: dataset, table: table)
        let (missing, validator) = state.withLock { state in
            let table = state.tables[key]
            return (table?.missing ?? false, table?.validator)
        }
        if missing {
            return GoogleErrorReply.tableNotFound(project: project, dataset: dataset, table: table)
        }
        guard let rows = body["rows"] as? [Any], !rows.isEmpty else {
            return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "No rows present in the request.")
        }
        guard rows.count <= 50_000 else {
            return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "too many rows present in the request, limit: 50000 row count: \(rows.count).")
        }
        var parsed: [StoredRow] = []
        var verdicts: [RowError?] = []
        for row in rows {
            guard let row = row as? [String: Any], let json = row["json"] as? [String: Any],
                let data = try? JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
            else {
                return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "Invalid row: each row needs a json object.")
            }
            let text = String(decoding: data, as: UTF8.self)
            parsed.append(StoredRow(insertId: row["insertId"] as? String, json: text))
            verdicts.append(validator?(text))
        }
        let skipInvalidRows = (body["skipInvalidRows"] as? Bool) ?? false
        let anyInvalid = verdicts.contains { $0 != nil }
        var insertErrors: [[String: Any]] = []
        for (index, verdict) in verdicts.enumerated() {
            if let verdict {
                insertErrors.append(["index": index, "errors": [["reason": verdict.reason, "location": verdict.location, "debugInfo": "", "message": verdict.message]]])
            } else if anyInvalid && !skipInvalidRows {
                insertErrors.append(["index": index, "errors": [["reason": "stopped", "location": "", "debugInfo": "", "message": ""]]])
            }
        }
        if !anyInvalid || skipInvalidRows {
            let accepted = zip(parsed, verdicts).filter { $0.1 == nil }.map(\.0)
            state.withLock { state in
                var tableState = state.tables[key] ?? TableState()
                for row in accepted {
                    if let id = row.insertId, !tableState.seenInsertIds.insert(id).inserted {
                        tableState.duplicates += 1
                        continue
                    }
                    tableState.rows.append(row)
                }
                state.tables[key] = tableState
            }
        }
        var answer: [String: Any] = ["kind": "bigquery#tableDataInsertAllResponse"]
        if !insertErrors.isEmpty {
            answer["insertErrors"] = insertErrors
        }
        return .json(200, Self.jsonText(answer))
    }

    private func getTable(dataset: String, table: String) -> StubReply {
        let tableState = state.withLock { $0.tables[TableKey(dataset: dataset, table: table)] }
        guard let tableState, !tableState.missing, let resource = tableState.resource else {
            return GoogleErrorReply.tableNotFound(project: project, dataset: dataset, table: table)
        }
        return .json(200, resource)
    }

    private func insertDataset(_ request: ReceivedRequest) -> StubReply {
        guard let body = request.jsonBody() as? [String: Any],
            let reference = body["datasetReference"] as? [String: Any],
            let dataset = reference["datasetId"] as? String
        else {
            return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "Invalid dataset resource.")
        }
        let inserted = state.withLock { $0.datasets.insert(dataset).inserted }
        guard inserted else {
            return GoogleErrorReply.reply(status: 409, reason: "duplicate", message: "Already Exists: Dataset \(project):\(dataset)")
        }
        return .json(200, Self.jsonText(["kind": "bigquery#dataset", "id": "\(project):\(dataset)", "datasetReference": reference]))
    }

    private func insertTable(_ request: ReceivedRequest, dataset: String) -> StubReply {
        guard let body = request.jsonBody() as? [String: Any],
            let reference = body["tableReference"] as? [String: Any],
            let table = reference["tableId"] as? String,
            let schema = body["schema"] as? [String: Any], let fields = schema["fields"] as? [Any]
        else {
            return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "Invalid table resource.")
        }
        guard datasetExists(dataset) else {
            return GoogleErrorReply.reply(status: 404, reason: "notFound", message: "Not found: Dataset \(project):\(dataset)")
        }
        var extra = ""
        if let partitioning = body["timePartitioning"] {
            extra += #","timePartitioning":\#(Self.jsonText(partitioning))"#
        }
        if let clustering = body["clustering"] {
            extra += #","clustering":\#(Self.jsonText(clustering))"#
        }
        let resource = tableResource(dataset: dataset, table: table, schemaFields: Self.jsonText(fields), extra: extra)
        let created: Bool = state.withLock { state in
            let key = TableKey(dataset: dataset, table: table)
            if state.tables[key]?.resource != nil { return false }
            state.tables[key, default: TableState()].resource = resource
            return true
        }
        guard created else {
            return GoogleErrorReply.reply(status: 409, reason: "duplicate", message: "Already Exists: Table \(project):\(dataset).\(table)")
        }
        return .json(200, resource)
    }

    private func patchTable(_ request: ReceivedRequest, dataset: String, table: String) -> StubReply {
        guard let body = request.jsonBody() as? [String: Any],
            let schema = body["schema"] as? [String: Any], schema["fields"] is [Any]
        else {
            return GoogleErrorReply.reply(status: 400, reason: "invalid", message: "Invalid table resource.")
        }
        let key = TableKey(dataset: dataset, table: table)
        let patched: String? = state.withLock { state in
            guard let resource = state.tables[key]?.resource,
                var object = (try? JSONSerialization.jsonObject(with: Data(resource.utf8))) as? [String: Any]
            else { return nil }
            object["schema"] = schema
            let text = Self.jsonText(object)
            state.tables[key]?.resource = text
            return text
        }
        guard let patched else {
            return GoogleErrorReply.tableNotFound(project: project, dataset: dataset, table: table)
        }
        return .json(200, patched)
    }

    private func notImplemented(_ request: ReceivedRequest) -> StubReply {
        GoogleErrorReply.reply(status: 501, reason: "notImplemented", message: "The stub does not serve \(request.method) \(request.path)")
    }

    // MARK: Helpers

    private func withTable(_ dataset: String, _ table: String, _ change: (inout TableState) -> Void) {
        state.withLock { change(&$0.tables[TableKey(dataset: dataset, table: table), default: TableState()]) }
    }

    private func tableResource(dataset: String, table: String, schemaFields: String, extra: String) -> String {
        #"{"kind":"bigquery#table","id":\#(quoted("\(project):\(dataset).\(table)")),"tableReference":{"projectId":\#(quoted(project)),"datasetId":\#(quoted(dataset)),"tableId":\#(quoted(table))},"schema":{"fields":\#(schemaFields)},"type":"TABLE","location":"US"\#(extra)}"#
    }

    private func quoted(_ text: String) -> String {
        Self.jsonText(text)
    }

    private static func jsonText(_ value: Any) -> String {
        let data = try! JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
