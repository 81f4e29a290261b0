/// BigQuery's insertAll conversion of one non-null, non-array JSON value into a column of each
/// type: nil when BigQuery accepts the value, else the message it answers with. Objects only reach
/// the types that take them (JSON, RANGE); the caller answers "not a record" for the others.
enum ScalarConversion {
    static func problem(_ value: JSONValue, field: CompiledField) -> String? {
        switch field.kind {
        case .string: string(value, field)
        case .bytes: bytes(value, field)
        case .integer: integer(value)
        case .float: float(value)
        case .numeric, .bigNumeric: numeric(value, field.numericLimits!)
        case .boolean: boolean(value)
        case .timestamp: timestamp(value)
        case .date: civil(value, valid: CivilTime.isValidDate, message: BigQueryMessages.badDate)
        case .time: civil(value, valid: CivilTime.isValidTime, message: BigQueryMessages.badTime)
        case .datetime: civil(value, valid: CivilTime.isValidDatetime, message: BigQueryMessages.badDatetime)
        case .geography: geography(value)
        case .json: json(value)
        case .range: RangeCheck.isValid(value, element: field.rangeElement ?? .timestamp) ? nil : BigQueryMessages.badRange(value)
        case .record: nil
        }
    }

    /// Strings, and numbers (which BigQuery converts to their text); not booleans.
    private static func string(_ value: JSONValue, _ field: CompiledField) -> String? {
        switch value {
        case .string(let text):
            if let limit = field.maxLength {
                let length = text.count
                if length > limit { return BigQueryMessages.tooLong(field.name, limit: limit, length: length) }
            }
            return nil
        case .number: return nil
        case .bool: return BigQueryMessages.boolToString
        default: return BigQueryMessages.notARecord(field.name)
        }
    }

    private static func bytes(_ value: JSONValue, _ field: CompiledField) -> String? {
        guard case .string(let text) = value, let length = Base64Check.decodedLength(text) else {
            return BigQueryMessages.badBytes
        }
        if let limit = field.maxLength, length > limit {
            return BigQueryMessages.tooLong(field.name, limit: limit, length: length)
        }
        return nil
    }

    /// A JSON integer or a numeric string whose value is a whole number within Int64 (`1.0` is 1).
    private static func integer(_ value: JSONValue) -> String? {
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let string): text = string
        default: return BigQueryMessages.badInteger(value)
        }
        guard let decimal = DecimalText(text), decimal.int64 != nil else { return BigQueryMessages.badInteger(value) }
        return nil
    }

    private static let floatNames: Set<String> = ["nan", "inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"]

    /// Numbers, numeric strings and the names of the special values, within Double's range.
    private static func float(_ value: JSONValue) -> String? {
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let string):
            if string.utf8.count <= 9, floatNames.contains(string.lowercased()) { return nil }
            guard DecimalText(string) != nil else { return BigQueryMessages.badFloat(value) }
            text = string
        default: return BigQueryMessages.badFloat(value)
        }
        guard let double = Double(text), double.isFinite else { return BigQueryMessages.badFloat(value) }
        return nil
    }

    /// BIGNUMERIC's largest magnitude is 578960446186580977117854925043439539266.349923…
    private static let bigNumericMaxInteger = "578960446186580977117854925043439539266"
    private static let bigNumericMaxFraction = "34992332820282019728792003956564819967"

    private static func numeric(_ value: JSONValue, _ limits: NumericLimits) -> String? {
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let string): text = string
        default: return BigQueryMessages.badNumeric(value, big: limits.isBig)
        }
        guard let decimal = DecimalText(text) else { return BigQueryMessages.badNumeric(value, big: limits.isBig) }
        if decimal.fractionDigits > limits.fractionDigits && !limits.roundsFraction {
            return BigQueryMessages.badNumeric(value, big: limits.isBig)
        }
        if decimal.integerDigits <= limits.integerDigits {
            return nil
        }
        // Default BIGNUMERIC reaches into a 39th integer digit, up to its bound.
        if limits.isBig && !limits.roundsFraction && decimal.integerDigits == 39,
            let exact = DecimalText(text, keepDigits: true), let integerPart = exact.integerPart
        {
            if integerPart < bigNumericMaxInteger { return nil }
            if integerPart == bigNumericMaxInteger, (exact.fractionPart ?? "") <= bigNumericMaxFraction { return nil }
        }
        return BigQueryMessages.badNumeric(value, big: limits.isBig)
    }

    /// JSON booleans and the strings "true"/"false" in any case.
    private static func boolean(_ value: JSONValue) -> String? {
        switch value {
        case .bool: return nil
        case .string(let text):
            let utf8 = text.utf8
            if utf8.count == 4 || utf8.count == 5 {
                let lowered = text.lowercased()
                if lowered == "true" || lowered == "false" { return nil }
            }
            return BigQueryMessages.badBoolean(value)
        default: return BigQueryMessages.badBoolean(value)
        }
    }

    /// Canonical timestamp strings, or epoch seconds as a number (or numeric string).
    private static func timestamp(_ value: JSONValue) -> String? {
        switch value {
        case .number(let literal):
            return CivilTime.isEpochSecondsInRange(literal) == true ? nil : BigQueryMessages.timestampOutOfRange(value)
        case .string(let text):
            switch CivilTime.checkTimestamp(text) {
            case .valid: return nil
            case .outOfRange: return BigQueryMessages.timestampOutOfRange(value)
            case .unrecognizedZone(let name): return BigQueryMessages.unrecognizedTimezone(name)
            case .malformed:
                if let inRange = CivilTime.isEpochSecondsInRange(text) {
                    return inRange ? nil : BigQueryMessages.timestampOutOfRange(value)
                }
                return BigQueryMessages.badTimestamp(value)
            }
        default:
            return BigQueryMessages.badTimestamp(value)
        }
    }

    private static func civil(_ value: JSONValue, valid: (String) -> Bool, message: (JSONValue) -> String) -> String? {
        guard case .string(let text) = value, valid(text) else { return message(value) }
        return nil
    }

    private static func geography(_ value: JSONValue) -> String? {
        guard case .string(let text) = value, GeographyCheck.isValid(text) else { return BigQueryMessages.badGeography(value) }
        return nil
    }

    /// Any JSON value; a string must itself hold JSON text, which is what BigQuery stores.
    private static func json(_ value: JSONValue) -> String? {
        guard case .string(let text) = value else { return nil }
        var copy = text
        let result: JSONParseError? = copy.withUTF8 { bytes in
            do throws(JSONParseError) {
                try JSONSyntax.validateValue(bytes)
                return nil
            } catch {
                return error
            }
        }
        return result.map(BigQueryMessages.badJSON)
    }
}
