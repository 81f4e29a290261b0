import Foundation
import SpoolStorage

/// The destination an uploader records in the spool file when it starts, so that `spoolctl drain` (or any tool)
/// can deliver the file's rows with credentials alone.
extension Spool {
    /// The destination the last uploader of this file recorded; nil when none has (or its record cannot be read,
    /// as one written by a newer Spool may not).
    public func recordedDestination() throws(SpoolError) -> Destination? {
        guard let text = try outbox.setting(Self.destinationSettingKey) else { return nil }
        return try? JSONDecoder().decode(Destination.self, from: Data(text.utf8))
    }

    /// Records `destination` as this file's (`SpoolUploader` does when it starts).
    func recordDestination(_ destination: Destination) throws(SpoolError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let text = (try? encoder.encode(destination)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try outbox.setSetting(Self.destinationSettingKey, to: text)
    }

    /// The key of the settings table that holds the recorded destination.
    private static let destinationSettingKey = "destination"
}
