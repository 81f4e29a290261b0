import Foundation

/// A server's `Retry-After` header: a number of seconds or an HTTP-date (RFC 9110 §10.2.3).
public enum RetryAfter: Sendable, Equatable, CustomStringConvertible {
    case seconds(Int)
    case date(Date)

    /// How long to wait from `now`; never negative.
    public func delay(from now: Date) -> Duration {
        switch self {
        case .seconds(let seconds):
            return .seconds(max(0, seconds))
        case .date(let date):
            let interval = date.timeIntervalSince(now)
            return interval > 0 ? .milliseconds(Int64((interval * 1000).rounded(.up))) : .zero
        }
    }

    /// Parses the header value; nil when it is neither form.
    public init?(headerValue: String) {
        let value = headerValue.trimmingCharacters(in: .whitespaces)
        if let seconds = Int(value), seconds >= 0 {
            self = .seconds(seconds)
            return
        }
        for format in Self.dateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: value) {
                self = .date(date)
                return
            }
        }
        return nil
    }

    public var description: String {
        switch self {
        case .seconds(let seconds): "\(seconds) s"
        case .date(let date): "until \(date)"
        }
    }

    /// IMF-fixdate, then the obsolete RFC 850 and asctime forms that RFC 9110 says recipients must accept.
    private static let dateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy",
    ]
}
