import Foundation

/// One view of the views folder: `<name>.sql` (a BigQuery Standard SQL `SELECT` naming tables as
/// `${dataset}.<event table>`) and an optional `<name>.json` with its kind and settings.
///
/// ```json
/// { "kind": "materializedView", "description": "…", "enableRefresh": true, "refreshIntervalMs": 1800000,
///   "partitioning": { "field": "day" } }
/// ```
public struct ViewDefinition: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        /// A logical view: its query runs each time it is read.
        case view
        /// BigQuery keeps the result and refreshes it as the base tables change.
        case materializedView

        /// The table `type` BigQuery reports for it.
        public var tableType: String {
            switch self {
            case .view: "VIEW"
            case .materializedView: "MATERIALIZED_VIEW"
            }
        }

        /// `view` or `materialized view`, for messages.
        public var spelled: String {
            switch self {
            case .view: "view"
            case .materializedView: "materialized view"
            }
        }
    }

    /// The placeholder a view's SQL writes before each table: `${dataset}.user_search_events`.
    public static let datasetPlaceholder = "${dataset}"
    /// BigQuery's bounds for a materialized view's refresh interval: one minute to seven days.
    public static let refreshIntervalBounds: ClosedRange<Int64> = 60_000...604_800_000

    /// The file's base name: the view's table id.
    public var name: String
    public var kind: Kind
    /// The `.sql` file's text, placeholders unreplaced.
    public var sql: String
    public var description: String?
    /// Materialized views only: whether BigQuery refreshes it automatically (BigQuery's default: true).
    public var enableRefresh: Bool?
    /// Materialized views only: the least time between automatic refreshes (BigQuery's default: 30 minutes).
    public var refreshIntervalMs: Int64?
    /// Materialized views only: a DATE column of the view's result to partition it by (it must follow the base
    /// table's partitioning, as BigQuery requires); set when the view is created, never changed afterwards.
    public var partitionField: String?

    public init(
        name: String, kind: Kind = .view, sql: String, description: String? = nil, enableRefresh: Bool? = nil,
        refreshIntervalMs: Int64? = nil, partitionField: String? = nil
    ) {
        self.name = name
        self.kind = kind
        self.sql = sql
        self.description = description
        self.enableRefresh = enableRefresh
        self.refreshIntervalMs = refreshIntervalMs
        self.partitionField = partitionField
    }

    /// The query as BigQuery stores it: `${dataset}` replaced by `project.dataset`, surrounding blank space and a
    /// final semicolon removed.
    public func query(project: String, dataset: String) -> String {
        var text = sql.replacingOccurrences(of: Self.datasetPlaceholder, with: "\(project).\(dataset)")
        text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        while text.hasSuffix(";") {
            text = String(text.dropLast()).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return text
    }

    /// Two query texts compared as BigQuery would run them: runs of blank space count as one, and blank space at
    /// either end or before a final semicolon does not count.
    public static func sameQuery(_ first: String, _ second: String) -> Bool {
        normalizedQuery(first) == normalizedQuery(second)
    }

    static func normalizedQuery(_ text: String) -> String {
        var words = text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        while words.hasSuffix(";") {
            words = String(words.dropLast()).trimmingCharacters(in: .whitespaces)
        }
        return words
    }
}
