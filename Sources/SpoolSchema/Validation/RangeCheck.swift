/// RANGE values: the string form `[start, end)` (each bound an element literal, `UNBOUNDED` or
/// `NULL`) or an object `{"start": …, "end": …}` whose bounds are literals or null.
enum RangeCheck {
    static func isValid(_ value: JSONValue, element: FieldType.Kind) -> Bool {
        switch value {
        case .string(let text):
            return isValidText(text, element: element)
        case .object(let object):
            for member in object.members {
                guard member.key == "start" || member.key == "end" else { return false }
                switch member.value {
                case .null: continue
                case .string(let bound): guard isValidBound(bound, element: element) else { return false }
                default: return false
                }
            }
            return true
        default:
            return false
        }
    }

    private static func isValidText(_ text: String, element: FieldType.Kind) -> Bool {
        guard text.hasPrefix("["), text.hasSuffix(")") else { return false }
        let inner = text.dropFirst().dropLast()
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        for part in parts {
            let bound = part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed()
            let text = String(bound)
            let upper = text.uppercased()
            if upper == "UNBOUNDED" || upper == "NULL" { continue }
            guard isValidBound(text, element: element) else { return false }
        }
        return true
    }

    private static func isValidBound(_ text: String, element: FieldType.Kind) -> Bool {
        switch element {
        case .date: CivilTime.isValidDate(text)
        case .datetime: CivilTime.isValidDatetime(text)
        default: CivilTime.checkTimestamp(text) == .valid
        }
    }
}
