import Foundation

/// Encodes typed events as BigQuery rows.
///
/// Dates become ISO-8601 UTC text with microseconds: Foundation's default (seconds since 2001 as a number) is silently
/// accepted by BigQuery as epoch seconds — and lands 31 years early.
enum EventEncoding {
    static func encode<Event: Encodable>(_ event: Event) throws(SpoolError) -> String {
        do {
            do {
                return String(decoding: try RowEncoder(date: timestampText).encode(event), as: UTF8.self)
            } catch is RowEncoder.Unsupported {
                // An encode(to:) that uses containers out of order: JSONEncoder's tree handles anything.
                return String(decoding: try foundationEncoder().encode(event), as: UTF8.self)
            }
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

    /// The fallback, configured to write what `RowEncoder` writes.
    static func foundationEncoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(timestampText(date))
        }
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }

    /// `2026-11-26T09:40:00.123456Z`: a TIMESTAMP text BigQuery parses exactly. Truncated to the microsecond.
    static func timestampText(_ date: Date) -> String {
        let microseconds = Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down))
        let seconds = microseconds >= 0 ? microseconds / 1_000_000 : (microseconds - 999_999) / 1_000_000
        let fraction = microseconds - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        guard (0...9999).contains(year) else {
            // Outside what four digits hold (BigQuery's range is years 1 to 9999 anyway): let BigQuery judge it.
            return "\(year)-01-01T00:00:00.000000Z"
        }
        return String(unsafeUninitializedCapacity: 27) { buffer in
            var position = 0
            func put(_ value: Int64, digits: Int) {
                var value = value
                for offset in stride(from: digits - 1, through: 0, by: -1) {
                    buffer[position + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                position += digits
            }
            func put(_ character: Unicode.Scalar) {
                buffer[position] = UInt8(ascii: character)
                position += 1
            }
            put(year, digits: 4); put("-"); put(month, digits: 2); put("-"); put(day, digits: 2); put("T")
            put(secondOfDay / 3600, digits: 2); put(":"); put(secondOfDay / 60 % 60, digits: 2); put(":")
            put(secondOfDay % 60, digits: 2); put("."); put(fraction, digits: 6); put("Z")
            return position
        }
    }

    /// Year, month, day of a day count since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's
    /// `civil_from_days`).
    static func civilDate(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
