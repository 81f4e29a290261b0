import SpoolJSON

/// A table's time partitioning as BigQuery describes it.
public struct TimePartitioning: Sendable, Equatable {
    /// `DAY`, `HOUR`, `MONTH` or `YEAR`.
    public var type: String
    /// The partitioning column; nil for ingestion-time partitioning.
    public var field: String?
    public var expirationMs: Int64?

    public init(type: String = "DAY", field: String? = nil, expirationMs: Int64? = nil) {
        self.type = type
        self.field = field
        self.expirationMs = expirationMs
    }
}

/// A materialized view's definition as `tables.get` reports it (`materializedView`).
public struct MaterializedViewResource: Sendable, Equatable {
    public var query: String?
    public var enableRefresh: Bool?
    public var refreshIntervalMs: Int64?

    public init(query: String? = nil, enableRefresh: Bool? = nil, refreshIntervalMs: Int64? = nil) {
        self.query = query
        self.enableRefresh = enableRefresh
        self.refreshIntervalMs = refreshIntervalMs
    }
}

/// What `tables.get` tells about a table.
public struct TableResource: Sendable {
    public var projectID: String
    public var datasetID: String
    public var tableID: String
    /// The `schema` object, `{"fields":[…]}`, as parsed from the answer (SpoolSchema's `TableSchema(json:)` reads
    /// it without parsing text again).
    public var schema: JSONObject
    public var timePartitioning: TimePartitioning?
    /// Clustering columns, in order.
    public var clustering: [String]?
    /// `TABLE`, `VIEW`, `EXTERNAL` …
    public var type: String?
    public var location: String?
    public var description: String?
    /// A view's query (`view.query`); nil for other tables, and from servers that do not report it.
    public var viewQuery: String?
    /// A materialized view's definition; nil for other tables, and from servers that do not report it.
    public var materializedView: MaterializedViewResource?

    public init(
        projectID: String, datasetID: String, tableID: String, schema: JSONObject,
        timePartitioning: TimePartitioning? = nil, clustering: [String]? = nil, type: String? = nil,
        location: String? = nil, description: String? = nil, viewQuery: String? = nil,
        materializedView: MaterializedViewResource? = nil
    ) {
        self.projectID = projectID
        self.datasetID = datasetID
        self.tableID = tableID
        self.schema = schema
        self.timePartitioning = timePartitioning
        self.clustering = clustering
        self.type = type
        self.location = location
        self.description = description
        self.viewQuery = viewQuery
        self.materializedView = materializedView
    }
}
