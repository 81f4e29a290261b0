/// The shape of a decimal number written as text (`-12.50`, `1e3`, `"0.000123"`), computed
/// without allocating: how many significant digits stand before and after the point once the
/// exponent is applied, and the Int64 value when there is one.
struct DecimalText {
    let isNegative: Bool
    /// Significant digits left of the point (no leading zeros); 0 for |x| < 1.
    let integerDigits: Int
    /// Significant digits right of the point (no trailing zeros).
    let fractionDigits: Int
    /// The value, when it is an integer that fits Int64.
    let int64: Int64?
    /// The digits of the integer part, only computed for the rare BIGNUMERIC bound check.
    let integerPart: String?
    let fractionPart: String?

    /// Reads `[+-]? digits [. digits] [(e|E) [+-] digits]` (at least one mantissa digit); nil for
    /// anything else, including surrounding spaces, hex, `NaN` and `Infinity`.
    init?(_ text: String, keepDigits: Bool = false) {
        var text = text
        guard let parsed = text.withUTF8({ DecimalText.parse($0, keepDigits: keepDigits) }) else { return nil }
        self = parsed
    }

    private init(
        isNegative: Bool, integerDigits: Int, fractionDigits: Int, int64: Int64?, integerPart: String?, fractionPart: String?
    ) {
        self.isNegative = isNegative
        self.integerDigits = integerDigits
        self.fractionDigits = fractionDigits
        self.int64 = int64
        self.integerPart = integerPart
        self.fractionPart = fractionPart
    }

    private static func parse(_ bytes: UnsafeBufferPointer<UInt8>, keepDigits: Bool) -> DecimalText? {
        var index = 0
        let count = bytes.count
        var negative = false
        if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        let integerStart = index
        while index < count, JSONLexer.isDigit(bytes[index]) { index += 1 }
        let integerEnd = index
        var fractionStart = index
        var fractionEnd = index
        if index < count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            fractionStart = index
            while index < count, JSONLexer.isDigit(bytes[index]) { index += 1 }
            fractionEnd = index
        }
        let integerLength = integerEnd - integerStart
        let fractionLength = fractionEnd - fractionStart
        guard integerLength + fractionLength > 0 else { return nil }
        var exponent = 0
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < count, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < count, JSONLexer.isDigit(bytes[index]) else { return nil }
            while index < count, JSONLexer.isDigit(bytes[index]) {
                // Clamped: any exponent this large already makes the value invalid for every type.
                exponent = min(exponent * 10 + Int(bytes[index] - UInt8(ascii: "0")), 100_000)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        guard index == count else { return nil }

        // Digit k of the mantissa read as one sequence (integer digits, then fraction digits).
        let totalDigits = integerLength + fractionLength
        func digit(_ k: Int) -> UInt8 {
            let byte = k < integerLength ? bytes[integerStart + k] : bytes[fractionStart + k - integerLength]
            return byte - UInt8(ascii: "0")
        }
        var first = 0
        while first < totalDigits, digit(first) == 0 { first += 1 }
        guard first < totalDigits else {
            return DecimalText(
                isNegative: negative, integerDigits: 0, fractionDigits: 0, int64: 0,
                integerPart: keepDigits ? "" : nil, fractionPart: keepDigits ? "" : nil)
        }
        var end = totalDigits
        while digit(end - 1) == 0 { end -= 1 }
        let point = integerLength + exponent
        let integerDigits = max(0, point - first)
        let fractionDigits = max(0, end - point)

        var int64: Int64? = nil
        if fractionDigits == 0 && integerDigits <= 19 {
            var magnitude: UInt64 = 0
            var overflow = false
            for k in first..<point {
                let next = k < end ? UInt64(digit(k)) : 0
                let (times10, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (sum, o2) = times10.addingReportingOverflow(next)
                if o1 || o2 { overflow = true; break }
                magnitude = sum
            }
            if !overflow {
                if negative, magnitude <= UInt64(Int64.max) + 1 {
                    int64 = magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
                } else if !negative, magnitude <= UInt64(Int64.max) {
                    int64 = Int64(magnitude)
                }
            }
        }

        var integerPart: String? = nil
        var fractionPart: String? = nil
        if keepDigits {
            var integerText = ""
            var fractionText = ""
            if integerDigits > 0 {
                for k in first..<point { integerText.append(Character(Unicode.Scalar(UInt8(ascii: "0") + (k < end ? digit(k) : 0)))) }
            }
            if fractionDigits > 0 {
                for k in point..<end {
                    fractionText.append(Character(Unicode.Scalar(UInt8(ascii: "0") + (k >= 0 ? digit(k) : 0))))
                }
            }
            integerPart = integerText
            fractionPart = fractionText
        }
        return DecimalText(
            isNegative: negative, integerDigits: integerDigits, fractionDigits: fractionDigits, int64: int64,
            integerPart: integerPart, fractionPart: fractionPart)
    }
}
