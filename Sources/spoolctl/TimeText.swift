import Foundation

/// Times, ages and sizes as spoolctl prints them.
enum TimeText {
    static func nowMillis() -> Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// ISO-8601 UTC with milliseconds, as the spool's dead_letters table stores times.
    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    static func iso(millis: Int64) -> String {
        iso(Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// ISO-8601 to the second, for tables.
    static func short(millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// A stored ISO-8601 time to the second (drops the milliseconds), or the text as it is.
    static func short(iso text: String) -> String {
        guard let dot = text.firstIndex(of: "."), text.hasSuffix("Z") else { return text }
        return String(text[..<dot]) + "Z"
    }

    static func millis(iso text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return Int64(date.timeIntervalSince1970 * 1000) }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    /// A compact length of time: `850ms`, `42s`, `3m12s`, `5h04m`, `12d3h`.
    static func span(millis: Int64) -> String {
        let ms = max(millis, 0)
        if ms < 1000 { return "\(ms)ms" }
        let seconds = ms / 1000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m\(pad(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3600)h\(pad(seconds / 60 % 60))m" }
        return "\(seconds / 86_400)d\(seconds / 3600 % 24)h"
    }

    /// `3m12s ago` or `in 4s`.
    static func relative(millis: Int64, now: Int64) -> String {
        millis <= now ? "\(span(millis: now - millis)) ago" : "in \(span(millis: millis - now))"
    }

    private static func pad(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

/// Numbers and sizes as spoolctl prints them.
enum NumberText {
    /// `1,204` below 100,000, then `123k`, `1.2M`.
    static func count(_ value: Int) -> String {
        if value < 100_000 { return grouped(value) }
        if value < 1_000_000 { return "\(value / 1000)k" }
        return String(format: "%.1fM", Double(value) / 1_000_000)
    }

    /// `1,204,000`: Foundation's grouping, as the library's configuration messages print numbers.
    static func grouped(_ value: Int) -> String {
        value.formatted(IntegerFormatStyle<Int>(locale: Locale(identifier: "en_US")))
    }

    /// `512 B`, `12 KB`, `1.2 MB`, `3.4 GB` (powers of 1024).
    static func bytes(_ value: Int64) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var size = Double(value)
        var unit = 0
        while size >= 1024 && unit < units.count - 1 {
            size /= 1024
            unit += 1
        }
        if unit == 0 { return "\(value) B" }
        return size < 10 ? "\(String(format: "%.1f", size)) \(units[unit])" : "\(Int(size)) \(units[unit])"
    }
}

/// Pads and truncates text for aligned columns.
enum Column {
    static func left(_ text: String, _ width: Int) -> String {
        let fitted = fit(text, width)
        return fitted + String(repeating: " ", count: max(0, width - fitted.count))
    }

    static func right(_ text: String, _ width: Int) -> String {
        let fitted = fit(text, width)
        return String(repeating: " ", count: max(0, width - fitted.count)) + fitted
    }

    static func fit(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}
