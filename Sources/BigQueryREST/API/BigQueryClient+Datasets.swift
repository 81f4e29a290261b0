import SpoolJSON

/// What `datasets.get` tells about a dataset.
public struct DatasetResource: Sendable, Equatable {
    public var projectID: String
    public var datasetID: String
    /// `US`, `EU`, `us-central1` …
    public var location: String?

    public init(projectID: String, datasetID: String, location: String? = nil) {
        self.projectID = projectID
        self.datasetID = datasetID
        self.location = location
    }
}

extension BigQueryClient {
    /// `datasets.get`: whether the dataset exists, and where. A missing dataset fails with `isNotFound`.
    public func getDataset(dataset: String) throws(BigQueryError) -> DatasetResource {
        let operation = "datasets.get \(dataset)"
        let path = try datasetPath(dataset: dataset).get(operation)
        let response = try execute(.get, path: path, metadata: ["bigquery.dataset": "\(dataset)"]).get(operation)
        guard let object = response.jsonObject else {
            throw BigQueryError(operation: operation, failure: .garbage(response, expected: "a dataset resource"))
        }
        let reference = object["datasetReference"]?.objectValue
        return DatasetResource(
            projectID: reference?["projectId"]?.stringValue ?? project,
            datasetID: reference?["datasetId"]?.stringValue ?? dataset,
            location: object["location"]?.stringValue
        )
    }
}
