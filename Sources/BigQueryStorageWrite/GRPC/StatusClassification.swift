import GRPCCore
import SwiftProtobuf

/// gRPC status codes as the API names them, and what each means to the uploader (see `WriteStreamError.Kind`).
enum StatusClassification {
    static let names = [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ]

    static func name(_ code: Int) -> String {
        names.indices.contains(code) ? names[code] : "CODE_\(code)"
    }

    /// The kind of a failed call. CANCELLED and UNKNOWN count as transient: the client cancels only on its own
    /// deadline, and grpc-swift reports some broken connections as UNKNOWN; retrying at the same offsets is safe.
    static func kind(code: Int, message: String, storageError: StorageErrorCode? = nil) -> WriteStreamError.Kind {
        if storageError == .schemaMismatchExtraFields { return .schemaMismatch }
        switch code {
        case 1, 2, 4, 10, 13, 14: return .transient
        case 8: return .quota
        case 7, 16: return .permission
        case 5: return .notFound
        case 3: return isAboutSchema(message) ? .schemaMismatch : .other
        default: return .other
        }
    }

    static func error(_ rpcError: RPCError) -> WriteStreamError {
        let code = rpcError.code.rawValue
        return WriteStreamError(kind: kind(code: code, message: rpcError.message), status: name(code), message: rpcError.message)
    }

    static func error(_ status: Google_Rpc_Status) -> WriteStreamError {
        let code = Int(status.code)
        return WriteStreamError(
            kind: kind(code: code, message: status.message, storageError: storageError(status)), status: name(code),
            message: status.message)
    }

    /// BigQuery's `StorageError` code in the status details, if it sent one.
    static func storageError(_ status: Google_Rpc_Status) -> StorageErrorCode? {
        for detail in status.details {
            if let error = try? Google_Cloud_Bigquery_Storage_V1_StorageError(unpackingAny: detail) {
                return error.code
            }
        }
        return nil
    }

    typealias StorageErrorCode = Google_Cloud_Bigquery_Storage_V1_StorageError.StorageErrorCode

    /// BigQuery says "schema" in the messages of writer-schema problems ("Input schema has more fields than
    /// BigQuery schema", "... does not match the BigQuery schema").
    private static func isAboutSchema(_ message: String) -> Bool {
        message.lowercased().contains("schema")
    }

    /// The outcome of an in-stream error (`AppendRowsResponse.error`).
    static func outcome(_ status: Google_Rpc_Status) -> AppendOutcome {
        let storage = storageError(status)
        switch (Int(status.code), storage) {
        case (_, .offsetAlreadyExists?), (6, _):
            return .alreadyExists
        case (_, .offsetOutOfRange?), (11, _):
            return .outOfRange(message: status.message)
        case (_, .streamNotFound?), (_, .streamFinalized?), (_, .streamAlreadyCommitted?), (_, .invalidStreamState?),
            (5, _), (9, _):
            return .streamUnusable(message: status.message)
        default:
            return .failed(error(status))
        }
    }
}
