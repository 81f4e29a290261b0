/// Column values converted to the forms BigQuery's Storage Write API takes (epoch microseconds, days since the
/// epoch, canonical literals), with the same parsers the validator checks them with. Each function answers nil
/// for a text the validator would have refused.
package enum WireValues {
    /// A whole number within Int64 (`12`, `"12"`, `1.0`, `1e3`).
    package static func int64(_ text: String) -> Int64? {
        DecimalText(text)?.int64
    }

    /// Whether the text is a decimal number (`-12.50`, `1e3`), the form numeric strings must have.
    package static func isDecimal(_ text: String) -> Bool {
        DecimalText(text) != nil
    }

    /// NUMERIC/BIGNUMERIC text as a plain decimal without exponent or redundant zeros (`1.50e2` → `150`,
    /// `-0.0100` → `-0.01`): the same value, in the form every BigQuery parser reads.
    package static func plainDecimal(_ text: String) -> String? {
        guard let decimal = DecimalText(text, keepDigits: true), let integer = decimal.integerPart,
            let fraction = decimal.fractionPart
        else { return nil }
        if integer.isEmpty && fraction.isEmpty { return "0" }
        let sign = decimal.isNegative ? "-" : ""
        return fraction.isEmpty ? sign + integer : sign + (integer.isEmpty ? "0" : integer) + "." + fraction
    }

    /// BYTES: base64 in the standard or URL-safe alphabet, padding optional, as `Base64Check` accepts it.
    package static func base64Decoded(_ text: String) -> [UInt8]? {
        guard let length = Base64Check.decodedLength(text) else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(length)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let sextet: UInt8
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): sextet = byte - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): sextet = byte - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): sextet = byte - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"), UInt8(ascii: "-"): sextet = 62
            case UInt8(ascii: "/"), UInt8(ascii: "_"): sextet = 63
            default: continue  // padding
            }
            accumulator = accumulator << 6 | UInt32(sextet)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return output
    }

    /// TIMESTAMP as microseconds since 1970-01-01T00:00:00Z: a canonical timestamp text (fraction digits beyond
    /// the sixth dropped, as BigQuery does) or epoch seconds as a number or numeric string.
    package static func timestampMicroseconds(_ text: String) -> Int64? {
        let parsed: Int64?? = CivilTime.withCursor(text) { cursor in
            guard let date = CivilTime.parseDate(&cursor), CivilTime.takeDateTimeSeparator(&cursor),
                let time = CivilTime.parseTimeOfDay(&cursor, secondsRequired: false)
            else { return .none }
            _ = cursor.take(UInt8(ascii: " "))
            var offsetSeconds = 0
            if !cursor.atEnd {
                guard case .offset(let seconds) = CivilTime.parseZone(&cursor) else { return .some(nil) }
                offsetSeconds = seconds
            }
            let days = Int64(CivilTime.daysFromCivil(year: date.year, month: date.month, day: date.day))
            let seconds = days * 86_400 + Int64(time.seconds) - Int64(offsetSeconds)
            return .some(seconds * 1_000_000 + Int64(time.microseconds))
        }
        if let parsed { return parsed }
        return epochSecondsMicroseconds(text)
    }

    /// DATE `YYYY-[M]M-[D]D` as days since 1970-01-01.
    package static func dateDays(_ text: String) -> Int32? {
        CivilTime.withCursor(text) { cursor in
            guard let date = CivilTime.parseDate(&cursor), cursor.atEnd else { return nil }
            return Int32(CivilTime.daysFromCivil(year: date.year, month: date.month, day: date.day))
        }
    }

    /// TIME as the literal `HH:MM:SS[.ffffff]`.
    package static func canonicalTime(_ text: String) -> String? {
        CivilTime.withCursor(text) { cursor in
            guard let time = CivilTime.parseTimeOfDay(&cursor, secondsRequired: true), cursor.atEnd else { return nil }
            return formatTime(time)
        }
    }

    /// DATETIME as the literal `YYYY-MM-DD HH:MM:SS[.ffffff]` (midnight when the text has no time).
    package static func canonicalDatetime(_ text: String) -> String? {
        CivilTime.withCursor(text) { cursor in
            guard let date = CivilTime.parseDate(&cursor) else { return nil }
            var time = (seconds: 0, microseconds: 0)
            if !cursor.atEnd {
                guard CivilTime.takeDateTimeSeparator(&cursor),
                    let parsed = CivilTime.parseTimeOfDay(&cursor, secondsRequired: false), cursor.atEnd
                else { return nil }
                time = parsed
            }
            return padded(date.year, 4) + "-" + padded(date.month, 2) + "-" + padded(date.day, 2) + " " + formatTime(time)
        }
    }

    /// The two bounds of a RANGE's string form `[start, end)`; nil for an unbounded side.
    package static func rangeBounds(_ text: String) -> (start: String?, end: String?)? {
        RangeCheck.bounds(text)
    }

    private static func formatTime(_ time: (seconds: Int, microseconds: Int)) -> String {
        let clock = padded(time.seconds / 3600, 2) + ":" + padded(time.seconds / 60 % 60, 2) + ":"
            + padded(time.seconds % 60, 2)
        return time.microseconds == 0 ? clock : clock + "." + padded(time.microseconds, 6)
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    /// Epoch seconds (`1714979289.123456`, `-1.5`, `1.7e9`) to microseconds, exactly: the decimal digits are
    /// shifted, not multiplied in floating point. Digits beyond the microsecond are dropped.
    private static func epochSecondsMicroseconds(_ text: String) -> Int64? {
        guard let decimal = DecimalText(text, keepDigits: true), let integer = decimal.integerPart,
            let fraction = decimal.fractionPart, integer.count <= 12
        else { return nil }
        let micros = String((fraction + "000000").prefix(6))
        guard let magnitude = Int64(integer.isEmpty ? micros : integer + micros) else { return nil }
        return decimal.isNegative ? -magnitude : magnitude
    }
}
