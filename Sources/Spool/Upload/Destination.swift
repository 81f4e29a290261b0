import BigQueryREST
import Foundation
import SpoolStorage

/// Where a spool's events go: a BigQuery project, a default dataset, and optionally a table for each event table.
///
/// The spool file records its destination when an uploader starts, so `spoolctl drain` can deliver a backlog with
/// only credentials at hand.
public struct Destination: Sendable, Codable, Equatable {
    public var project: String
    /// The dataset of every event table not named otherwise in `tables`.
    public var dataset: String
    /// Event table name → `table` or `dataset.table`. Event tables not listed go to `dataset.<event table>`.
    public var tables: [String: String]
    /// `https://bigquery.googleapis.com`, or an emulator's `http://127.0.0.1:PORT`.
    public var endpoint: String
    /// BigQuery's ignoreUnknownValues: fields a schema lacks are dropped instead of refusing the row. Sent with every
    /// request and applied by local validation (`SchemaPolicy`).
    public var ignoreUnknownValues: Bool
    /// Which API delivers the rows: insertAll (at least once) or the Storage Write API (exactly once).
    public var api: DeliveryAPI
    /// The Storage Write API's gRPC host, used when `api` is `.storageWrite`: `https://bigquerystorage.googleapis.com`
    /// (TLS on 443), or an emulator's `http://127.0.0.1:PORT` (plaintext gRPC). Tables and schemas still come from
    /// `endpoint`.
    public var writeEndpoint: String

    public static let defaultEndpoint = "https://bigquery.googleapis.com"
    public static let defaultWriteEndpoint = "https://bigquerystorage.googleapis.com"

    public init(
        project: String, dataset: String, tables: [String: String] = [:], endpoint: String = Destination.defaultEndpoint,
        ignoreUnknownValues: Bool = false, api: DeliveryAPI = .insertAll, writeEndpoint: String = Destination.defaultWriteEndpoint
    ) {
        self.project = project
        self.dataset = dataset
        self.tables = tables
        self.endpoint = endpoint
        self.ignoreUnknownValues = ignoreUnknownValues
        self.api = api
        self.writeEndpoint = writeEndpoint
    }

    enum CodingKeys: String, CodingKey {
        case project, dataset, tables, endpoint, ignoreUnknownValues, api, writeEndpoint
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        project = try container.decode(String.self, forKey: .project)
        dataset = try container.decode(String.self, forKey: .dataset)
        tables = try container.decodeIfPresent([String: String].self, forKey: .tables) ?? [:]
        endpoint = try container.decodeIfPresent(String.self, forKey: .endpoint) ?? Self.defaultEndpoint
        ignoreUnknownValues = try container.decodeIfPresent(Bool.self, forKey: .ignoreUnknownValues) ?? false
        // Recorded by a version before the Storage Write API: it delivered with insertAll.
        api = try container.decodeIfPresent(DeliveryAPI.self, forKey: .api) ?? .insertAll
        writeEndpoint = try container.decodeIfPresent(String.self, forKey: .writeEndpoint) ?? Self.defaultWriteEndpoint
    }

    /// The BigQuery dataset and table that rows of `eventTable` go to.
    public func target(for eventTable: String) -> (dataset: String, table: String) {
        guard let mapped = tables[eventTable] else { return (dataset, eventTable) }
        let parts = mapped.split(separator: ".", maxSplits: 1).map(String.init)
        return parts.count == 2 ? (parts[0], parts[1]) : (dataset, mapped)
    }

    /// Checks the ids, so a typo is a clear error at start-up rather than a paused table later.
    public func validate() throws(SpoolError) {
        guard BigQueryIdentifier.isValidProjectID(project) else {
            throw SpoolError(.invalidConfiguration, "destination project \"\(project)\" is not a valid BigQuery project id")
        }
        guard BigQueryIdentifier.isValidDatasetID(dataset) else {
            throw SpoolError(.invalidConfiguration, "destination dataset \"\(dataset)\" is not a valid BigQuery dataset id (letters, digits and underscores)")
        }
        for (eventTable, _) in tables.sorted(by: { $0.key < $1.key }) {
            let target = target(for: eventTable)
            guard BigQueryIdentifier.isValidDatasetID(target.dataset), BigQueryIdentifier.isValidTableID(target.table) else {
                throw SpoolError(.invalidConfiguration, "the table mapping of \(eventTable) → \(tables[eventTable] ?? "") is not a valid dataset.table")
            }
        }
        try Self.validate(endpoint: endpoint, named: "endpoint")
        try Self.validate(endpoint: writeEndpoint, named: "writeEndpoint")
    }

    private static func validate(endpoint: String, named name: String) throws(SpoolError) {
        guard !URLOrigin.hasUserInfo(endpoint) else {
            // Never quoted whole: the user-info is a secret. Spool authenticates with OAuth tokens only.
            throw SpoolError(.invalidConfiguration, "destination \(name) \(URLOrigin.of(endpoint)) must not carry a user name or password (user-info); Spool sends OAuth tokens, not passwords")
        }
        guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://"), URLComponents(string: endpoint)?.host?.isEmpty == false else {
            throw SpoolError(.invalidConfiguration, "destination \(name) \"\(endpoint)\" must be an http(s) URL with a host")
        }
    }
}
