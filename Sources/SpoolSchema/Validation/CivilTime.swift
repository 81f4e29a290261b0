/// Hand-written parsers for BigQuery's canonical date and time texts (Foundation's date parsing is
/// both too lenient and far too slow for the upload path).
///
/// - DATE `YYYY-[M]M-[D]D`
/// - TIME `[H]H:[M]M:[S]S[.F]`
/// - DATETIME `YYYY-[M]M-[D]D[( |T)[H]H:[M]M[:[S]S[.F]]]`
/// - TIMESTAMP `YYYY-[M]M-[D]D( |T)[H]H:[M]M[:[S]S[.F]][ ][zone]` where zone is `Z`, `UTC`,
///   `±H[H][:MM]` or `±HHMM`; the instant must lie in 0001-01-01 00:00:00 … 9999-12-31 23:59:59.999999 UTC.
///
/// F has 1 to 9 digits: BigQuery keeps microseconds, longer fractions are accepted and truncated.
enum CivilTime {
    /// Seconds from 1970-01-01T00:00:00Z to 0001-01-01T00:00:00Z and to 9999-12-31T23:59:59Z.
    static let minimumEpochSeconds: Int64 = -62_135_596_800
    static let maximumEpochSeconds: Int64 = 253_402_300_799

    enum TimestampResult: Equatable {
        case valid
        case malformed
        case unrecognizedZone(String)
        case outOfRange
    }

    struct Cursor {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// Between `minimum` and `maximum` decimal digits as a number.
        mutating func digits(minimum: Int, maximum: Int) -> Int? {
            var value = 0
            var count = 0
            while count < maximum, index < bytes.count, JSONLexer.isDigit(bytes[index]) {
                value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
                index += 1
                count += 1
            }
            return count >= minimum ? value : nil
        }
    }

    static func isValidDate(_ text: String) -> Bool {
        withCursor(text) { cursor in
            parseDate(&cursor) != nil && cursor.atEnd
        }
    }

    static func isValidTime(_ text: String) -> Bool {
        withCursor(text) { cursor in
            parseTime(&cursor, secondsRequired: true) != nil && cursor.atEnd
        }
    }

    static func isValidDatetime(_ text: String) -> Bool {
        withCursor(text) { cursor in
            guard parseDate(&cursor) != nil else { return false }
            if cursor.atEnd { return true }
            guard takeDateTimeSeparator(&cursor), parseTime(&cursor, secondsRequired: false) != nil else { return false }
            return cursor.atEnd
        }
    }

    static func checkTimestamp(_ text: String) -> TimestampResult {
        withCursor(text) { cursor in
            guard let date = parseDate(&cursor), takeDateTimeSeparator(&cursor),
                let time = parseTime(&cursor, secondsRequired: false)
            else { return .malformed }
            _ = cursor.take(UInt8(ascii: " "))
            var offsetSeconds = 0
            if !cursor.atEnd {
                switch parseZone(&cursor) {
                case .offset(let seconds): offsetSeconds = seconds
                case .name(let name): return .unrecognizedZone(name)
                case .malformed: return .malformed
                }
            }
            let days = daysFromCivil(year: date.year, month: date.month, day: date.day)
            let seconds = Int64(days) * 86_400 + Int64(time) - Int64(offsetSeconds)
            return seconds >= minimumEpochSeconds && seconds <= maximumEpochSeconds ? .valid : .outOfRange
        }
    }

    /// Epoch seconds given as a number (fractions allowed) must name an instant in range.
    static func isEpochSecondsInRange(_ text: String) -> Bool? {
        guard DecimalText(text) != nil, let value = Double(text) else { return nil }
        return value >= Double(minimumEpochSeconds) && value < Double(maximumEpochSeconds) + 1
    }

    static func withCursor<T>(_ text: String, _ body: (inout Cursor) -> T) -> T {
        var text = text
        return text.withUTF8 { bytes in
            var cursor = Cursor(bytes: bytes)
            return body(&cursor)
        }
    }

    static func takeDateTimeSeparator(_ cursor: inout Cursor) -> Bool {
        cursor.take(UInt8(ascii: "T")) || cursor.take(UInt8(ascii: "t")) || cursor.take(UInt8(ascii: " "))
    }

    static func parseDate(_ cursor: inout Cursor) -> (year: Int, month: Int, day: Int)? {
        guard let year = cursor.digits(minimum: 4, maximum: 4), year >= 1, cursor.take(UInt8(ascii: "-")),
            let month = cursor.digits(minimum: 1, maximum: 2), (1...12).contains(month), cursor.take(UInt8(ascii: "-")),
            let day = cursor.digits(minimum: 1, maximum: 2), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        return (year, month, day)
    }

    /// Seconds since midnight (fraction dropped), or nil.
    static func parseTime(_ cursor: inout Cursor, secondsRequired: Bool) -> Int? {
        parseTimeOfDay(&cursor, secondsRequired: secondsRequired)?.seconds
    }

    /// Seconds since midnight and the fraction's microseconds (digits beyond the sixth dropped), or nil.
    static func parseTimeOfDay(_ cursor: inout Cursor, secondsRequired: Bool) -> (seconds: Int, microseconds: Int)? {
        guard let hour = cursor.digits(minimum: 1, maximum: 2), hour < 24, cursor.take(UInt8(ascii: ":")),
            let minute = cursor.digits(minimum: 1, maximum: 2), minute < 60
        else { return nil }
        var second = 0
        var microseconds = 0
        if cursor.take(UInt8(ascii: ":")) {
            guard let parsed = cursor.digits(minimum: 1, maximum: 2), parsed < 60 else { return nil }
            second = parsed
            if cursor.take(UInt8(ascii: ".")) {
                let start = cursor.index
                guard let fraction = cursor.digits(minimum: 1, maximum: 9) else { return nil }
                var scale = cursor.index - start
                microseconds = fraction
                while scale > 6 { microseconds /= 10; scale -= 1 }
                while scale < 6 { microseconds *= 10; scale += 1 }
            }
        } else if secondsRequired {
            return nil
        }
        return (hour * 3600 + minute * 60 + second, microseconds)
    }

    enum Zone {
        case offset(Int)
        case name(String)
        case malformed
    }

    static func parseZone(_ cursor: inout Cursor) -> Zone {
        let start = cursor.index
        if cursor.take(UInt8(ascii: "Z")) || cursor.take(UInt8(ascii: "z")) {
            return cursor.atEnd ? .offset(0) : .malformed
        }
        if cursor.take(UInt8(ascii: "+")) || cursor.take(UInt8(ascii: "-")) {
            let sign = cursor.bytes[start] == UInt8(ascii: "-") ? -1 : 1
            let digitsStart = cursor.index
            guard let first = cursor.digits(minimum: 1, maximum: 4) else { return .malformed }
            let count = cursor.index - digitsStart
            var hours = first
            var minutes = 0
            if count == 4 {
                hours = first / 100
                minutes = first % 100
            } else if count == 3 {
                return .malformed
            } else if cursor.take(UInt8(ascii: ":")) {
                guard let parsed = cursor.digits(minimum: 2, maximum: 2) else { return .malformed }
                minutes = parsed
            }
            guard cursor.atEnd, hours < 24, minutes < 60 else { return .malformed }
            return .offset(sign * (hours * 3600 + minutes * 60))
        }
        // A zone name: BigQuery's insertAll knows "UTC" but not IANA names such as America/Los_Angeles.
        while !cursor.atEnd {
            let byte = cursor.bytes[cursor.index]
            let isNameByte = (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "z"))
                || JSONLexer.isDigit(byte) || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            guard isNameByte else { return .malformed }
            cursor.index += 1
        }
        let name = String(decoding: UnsafeBufferPointer(rebasing: cursor.bytes[start..<cursor.index]), as: UTF8.self)
        guard !name.isEmpty, name.first!.isLetter else { return .malformed }
        return name.uppercased() == "UTC" ? .offset(0) : .name(name)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
