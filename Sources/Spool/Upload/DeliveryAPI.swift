/// Which BigQuery API an uploader delivers with (`destination.api`).
public enum DeliveryAPI: String, Sendable, Codable, CaseIterable {
    /// `tabledata.insertAll`, Google's legacy streaming API: at least once (BigQuery de-duplicates by insert id on a
    /// best-effort basis only).
    case insertAll
    /// The Storage Write API with a COMMITTED stream per table and row offsets kept in the spool file: exactly once
    /// (`StorageWrite/StorageWriteTransport.swift`).
    case storageWrite
}
