import BigQueryREST
import Foundation
import SpoolSchema

/// A view as BigQuery describes it: `tables.get`, and for a server whose `tables.get` leaves out `view.query`
/// (the emulator) the stored text from `INFORMATION_SCHEMA.VIEWS`.
public struct RemoteView: Sendable, Equatable {
    /// `VIEW`, `MATERIALIZED_VIEW`, `TABLE` …
    public var type: String
    /// The stored query; nil when the server reports none.
    public var query: String?
    public var description: String?
    /// The `materializedView` settings; nil when the server reports none.
    public var refresh: MaterializedViewResource?
    public var partitionField: String?

    /// Reads `dataset.name`; `definitions` caches `INFORMATION_SCHEMA.VIEWS` per dataset across calls.
    public static func fetch(
        _ client: BigQueryClient, dataset: String, name: String, definitions: inout [String: [String: String]]
    ) throws(BigQueryError) -> RemoteView {
        let resource = try client.getTable(dataset: dataset, table: name)
        var view = RemoteView(
            type: resource.type ?? "TABLE", query: resource.viewQuery ?? resource.materializedView?.query,
            description: resource.description, refresh: resource.materializedView, partitionField: resource.timePartitioning?.field
        )
        if view.query == nil, view.type == "VIEW" || view.type == "MATERIALIZED_VIEW" {
            if definitions[dataset] == nil {
                definitions[dataset] = (try? client.viewDefinitions(dataset: dataset)) ?? [:]
            }
            view.query = definitions[dataset]?[name]
        }
        return view
    }

    public init(type: String, query: String? = nil, description: String? = nil, refresh: MaterializedViewResource? = nil, partitionField: String? = nil) {
        self.type = type
        self.query = query
        self.description = description
        self.refresh = refresh
        self.partitionField = partitionField
    }
}

/// How a view in BigQuery differs from its files. A pure judgement: `tables create` decides what to change and
/// `doctor` only reports.
public enum ViewDifference: Sendable, Equatable {
    /// BigQuery holds another kind of table under the view's name (`TABLE`, or the other kind of view).
    case kind(remote: String)
    /// The query text differs (blank space aside): the lines only BigQuery has (`-`) and only the file has (`+`).
    case query(diff: [String])
    case description(remote: String?, local: String?)
    case enableRefresh(remote: Bool?, local: Bool)
    case refreshInterval(remote: Int64?, local: Int64)
    case partitioning(remote: String?, local: String?)

    /// Judges `remote` against `definition` whose query, for this destination, is `query`. `notes` says what could
    /// not be compared because the server does not report it.
    public static func differences(_ definition: ViewDefinition, query: String, remote: RemoteView) -> (differences: [ViewDifference], notes: [String]) {
        guard remote.type == definition.kind.tableType else {
            return ([.kind(remote: remote.type)], [])
        }
        var differences: [ViewDifference] = []
        var notes: [String] = []
        if let remoteQuery = remote.query {
            if !ViewDefinition.sameQuery(remoteQuery, query) {
                differences.append(.query(diff: LineDiff.lines(from: remoteQuery, to: query)))
            }
        } else {
            notes.append("note: the server does not report this \(definition.kind.spelled)'s query, so it was not compared")
        }
        if (remote.description ?? "") != (definition.description ?? "") {
            differences.append(.description(remote: remote.description, local: definition.description))
        }
        guard definition.kind == .materializedView else {
            return (differences, notes)
        }
        if let remoteRefresh = remote.refresh {
            if let local = definition.enableRefresh, remoteRefresh.enableRefresh ?? true != local {
                differences.append(.enableRefresh(remote: remoteRefresh.enableRefresh, local: local))
            }
            if let local = definition.refreshIntervalMs, remoteRefresh.refreshIntervalMs != local {
                differences.append(.refreshInterval(remote: remoteRefresh.refreshIntervalMs, local: local))
            }
        } else if definition.enableRefresh != nil || definition.refreshIntervalMs != nil {
            notes.append("note: the server does not report refresh settings, so they were not compared")
        }
        if remote.partitionField?.lowercased() != definition.partitionField?.lowercased() {
            differences.append(.partitioning(remote: remote.partitionField, local: definition.partitionField))
        }
        return (differences, notes)
    }

    /// Indented lines for a report.
    public func explanation(_ definition: ViewDefinition) -> [String] {
        let json = "\(definition.name).json"
        switch self {
        case .kind(let remote):
            return ["BigQuery holds a \(remote) under this name; the views folder defines a \(definition.kind.spelled)"]
        case .query(let diff):
            return ["query differs from \(definition.name).sql (- BigQuery, + the file):"] + diff.map { "  \($0)" }
        case .description(let remote, let local):
            return ["description: \(Self.quoted(remote)) in BigQuery, \(Self.quoted(local)) in \(json)"]
        case .enableRefresh(let remote, let local):
            return ["enableRefresh: \(remote ?? true) in BigQuery, \(local) in \(json)"]
        case .refreshInterval(let remote, let local):
            return ["refreshIntervalMs: \(remote.map(String.init) ?? "BigQuery's default") in BigQuery, \(local) in \(json)"]
        case .partitioning(let remote, let local):
            return ["partitioning: \(remote.map { "by \($0)" } ?? "none") in BigQuery, \(local.map { "by \($0)" } ?? "none") in \(json) (set when the view is created; not changed)"]
        }
    }

    private static func quoted(_ text: String?) -> String {
        text.map { "\"\($0)\"" } ?? "none"
    }
}

/// A line diff by longest common subsequence: enough for view queries of a few dozen lines.
public enum LineDiff {
    /// Changed lines only, `- ` for lines of `old` alone and `+ ` for lines of `new` alone, at most `limit` of them.
    public static func lines(from old: String, to new: String, limit: Int = 20) -> [String] {
        let a = old.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let b = new.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var common = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            for j in stride(from: b.count - 1, through: 0, by: -1) {
                common[i][j] = a[i] == b[j] ? common[i + 1][j + 1] + 1 : max(common[i + 1][j], common[i][j + 1])
            }
        }
        var output: [String] = []
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if i < a.count, j < b.count, a[i] == b[j] {
                i += 1
                j += 1
            } else if i < a.count, j == b.count || common[i + 1][j] >= common[i][j + 1] {
                output.append("- \(a[i])")
                i += 1
            } else {
                output.append("+ \(b[j])")
                j += 1
            }
        }
        if output.isEmpty {
            // Only blank space within lines differs.
            return ["(blank space only)"]
        }
        return output.count > limit ? Array(output.prefix(limit)) + ["… \(output.count - limit) more changed lines"] : output
    }
}
