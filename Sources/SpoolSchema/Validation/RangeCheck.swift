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
        guard let bounds = bounds(text) else { return false }
        for bound in [bounds.start, bounds.end] {
            if let bound, !isValidBound(bound, element: element) { return false }
        }
        return true
    }

    /// The two bound texts of the string form `[start, end)`; nil for an unbounded side (`UNBOUNDED`, `NULL`).
    /// Nil when the text is not of that form (the bounds themselves are not checked).
    static func bounds(_ text: String) -> (start: String?, end: String?)? {
        guard text.hasPrefix("["), text.hasSuffix(")") else { return nil }
        let inner = text.dropFirst().dropLast()
        let parts = inner.split(separator: ",", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let bounds = parts.map { part -> String? in
            let text = String(part.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
            let upper = text.uppercased()
            return upper == "UNBOUNDED" || upper == "NULL" ? nil : text
        }
        return (bounds[0], bounds[1])
    }

    private static func isValidBound(_ text: String, element: FieldType.Kind) -> Bool {
        switch element {
        case .date: CivilTime.isValidDate(text)
        case .datetime: CivilTime.isValidDatetime(text)
        default: CivilTime.checkTimestamp(text) == .valid
        }
    }
}
