import Foundation

/// Encodes typed events as BigQuery rows.
///
/// Dates become ISO-8601 UTC text with microseconds: Foundation's default (seconds since 2001 as a number) is silently
/// accepted by BigQuery as epoch seconds — and lands 31 years early.
enum EventEncoding {
    static func encode<Event: Encodable>(_ event: Event) throws(SpoolError) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestampText(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            let data = try encoder.encode(event)
            return String(decoding: data, as: UTF8.self)
        } catch let error as EncodingError {
            // The error's context names the coding path; its value is left out (it may be personal data).
            let context: EncodingError.Context
            switch error {
            case .invalidValue(_, let found): context = found
            @unknown default: context = EncodingError.Context(codingPath: [], debugDescription: "")
            }
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SpoolError(.invalidJSON, "could not encode \(Event.self) as JSON at \(path.isEmpty ? "the top level" : path)")
        } catch {
            throw SpoolError(.invalidJSON, "could not encode \(Event.self) as JSON")
        }
    }

    /// `2026-11-26T09:40:00.123456Z`: a TIMESTAMP text BigQuery parses exactly.
    static func timestampText(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let fraction = microseconds - seconds * 1_000_000
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction
        )
    }
}
