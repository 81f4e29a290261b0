import ArgumentParser
import Foundation

/// A length of time on the command line: `90` or `90s`, `500ms`, `30m`, `1h`, `2d`, or combined like `1h30m`.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible {
    let milliseconds: Int64
    private let text: String

    init?(argument: String) {
        guard let milliseconds = Self.parse(argument) else { return nil }
        self.milliseconds = milliseconds
        self.text = argument
    }

    var duration: Duration { .milliseconds(milliseconds) }
    var description: String { text }

    static var defaultCompletionKind: CompletionKind { .default }

    /// The longest duration accepted: 100 years. Longer ones are refused (ArgumentParser names the option) rather
    /// than left to overflow in the seconds → milliseconds conversion or in `now ± duration`.
    static let longestMilliseconds: Int64 = 100 * 365 * 86_400_000

    /// Milliseconds, or nil for text that is not a duration or is longer than `longestMilliseconds`.
    static func parse(_ text: String) -> Int64? {
        guard let total = parseUnbounded(text), total <= longestMilliseconds else { return nil }
        return total
    }

    private static func parseUnbounded(_ text: String) -> Int64? {
        if let seconds = Int64(text), seconds >= 0 {
            let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1000)
            return overflow ? nil : milliseconds
        }
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        var rest = Substring(text)
        var total: Int64 = 0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let value = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit: Int64
            if rest.hasPrefix("ms") {
                unit = 1
                rest = rest.dropFirst(2)
            } else if let letter = rest.first, let milliseconds = units[letter] {
                unit = milliseconds
                rest = rest.dropFirst()
            } else {
                return nil
            }
            let (product, overflow) = value.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            let (sum, sumOverflow) = total.addingReportingOverflow(product)
            guard !sumOverflow else { return nil }
            total = sum
        }
        return total
    }
}

/// A point in time on the command line: ISO-8601 (`2026-11-26T10:00:00Z`, `2026-11-26`) or a duration ago (`1h`).
struct PointInTime: ExpressibleByArgument, CustomStringConvertible {
    let date: Date
    private let text: String

    init?(argument: String) {
        if let ago = DurationArgument.parse(argument) {
            date = Date(timeIntervalSinceNow: -Double(ago) / 1000)
        } else if let parsed = Self.parseISO(argument) {
            date = parsed
        } else {
            return nil
        }
        text = argument
    }

    var description: String { text }

    /// As the spool stores dead-letter times, so that text comparison orders correctly.
    var iso: String { TimeText.iso(date) }

    private static func parseISO(_ text: String) -> Date? {
        let options: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime, .withFractionalSeconds],
            [.withInternetDateTime],
            [.withFullDate],
        ]
        for option in options {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = option
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
