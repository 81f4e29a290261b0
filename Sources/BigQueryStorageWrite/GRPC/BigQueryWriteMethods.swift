import GRPCCore

/// The `google.cloud.bigquery.storage.v1.BigQueryWrite` methods the client calls, by name (no generated service
/// code: the messages are generated, the calls go through `GRPCClient` directly).
enum BigQueryWriteMethods {
    static let service = "google.cloud.bigquery.storage.v1.BigQueryWrite"

    static let createWriteStream = MethodDescriptor(fullyQualifiedService: service, method: "CreateWriteStream")
    static let appendRows = MethodDescriptor(fullyQualifiedService: service, method: "AppendRows")
    static let finalizeWriteStream = MethodDescriptor(fullyQualifiedService: service, method: "FinalizeWriteStream")
}
