import SpoolStorage

/// How `spoolctl tables create` lays out the dataset and tables it creates: the configuration file's
/// `provisioning` section.
///
/// ```json
/// "provisioning": { "location": "US", "partitionField": "timestamp", "partitionExpirationDays": 400,
///                   "clustering": { "user_search_events": ["user_id"] } }
/// ```
public struct ProvisioningSettings: Sendable, Equatable {
    /// Where a new dataset lives (`US`, `EU`, `us-central1` …). An existing dataset keeps its own.
    public var location: String
    /// A TIMESTAMP (or DATE/DATETIME) column every table is partitioned on by day; nil for unpartitioned tables.
    public var partitionField: String?
    /// How many days a partition is kept before BigQuery deletes it (data retention); nil keeps them forever.
    public var partitionExpirationDays: Int?
    /// Clustering columns (at most four, in order) by event table name.
    public var clustering: [String: [String]]

    public static let defaultLocation = "US"

    public init(location: String = ProvisioningSettings.defaultLocation, partitionField: String? = nil, partitionExpirationDays: Int? = nil, clustering: [String: [String]] = [:]) {
        self.location = location
        self.partitionField = partitionField
        self.partitionExpirationDays = partitionExpirationDays
        self.clustering = clustering
    }

    /// What `partitionExpirationDays` may be: a day to a hundred years (longer: leave it out, partitions are kept).
    public static let expirationDays: ClosedRange<Int> = 1...36_500

    /// The partition expiration in milliseconds, as BigQuery's `timePartitioning.expirationMs` takes it.
    public var partitionExpirationMs: Int64? {
        // Clamped rather than trapping for a value set in Swift and never validated (validate() bounds it to 100 years).
        partitionExpirationDays.map { days in
            let (milliseconds, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400_000)
            return overflow ? (days < 0 ? Int64.min : Int64.max) : milliseconds
        }
    }

    /// Checks what can be checked without the schemas; `spoolctl tables create` checks columns against each schema.
    public func validate() throws(SpoolError) {
        guard !location.isEmpty else {
            throw SpoolError(.invalidConfiguration, "provisioning.location must not be empty (for example \"US\" or \"EU\")")
        }
        if let field = partitionField, field.isEmpty {
            throw SpoolError(.invalidConfiguration, "provisioning.partitionField must name a column, or be left out")
        }
        if let days = partitionExpirationDays {
            guard Self.expirationDays.contains(days) else {
                throw SpoolError(.invalidConfiguration, "provisioning.partitionExpirationDays must be at least 1 and at most 36,500 (got \(days))")
            }
            guard partitionField != nil else {
                throw SpoolError(.invalidConfiguration, "provisioning.partitionExpirationDays needs provisioning.partitionField: only partitioned tables expire partitions")
            }
        }
        for (table, fields) in clustering.sorted(by: { $0.key < $1.key }) {
            guard (1...4).contains(fields.count) else {
                throw SpoolError(.invalidConfiguration, "provisioning.clustering.\(table) must list 1 to 4 columns (got \(fields.count))")
            }
        }
    }
}
