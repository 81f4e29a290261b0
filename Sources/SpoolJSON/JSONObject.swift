/// A JSON object that keeps its members in source order.
///
/// Duplicate keys: the last value wins and keeps the position of the first occurrence, as most
/// parsers (and BigQuery's JSON front end) behave. Lookup is a linear scan, which is the fastest
/// choice for the small objects of analytics events.
public struct JSONObject: Sendable, Equatable {
    /// The members in order; keys are unique.
    public private(set) var members: [(key: String, value: JSONValue)]

    /// An empty object.
    public init() {
        members = []
    }

    /// An object from key/value pairs; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(key: String, value: JSONValue)]) {
        members = []
        members.reserveCapacity(pairs.count)
        for pair in pairs {
            self[pair.key] = pair.value
        }
    }

    /// Members taken as they are: the caller guarantees unique keys.
    init(uniqueMembers: [(key: String, value: JSONValue)]) {
        members = uniqueMembers
    }

    /// The number of members.
    public var count: Int { members.count }

    /// True when the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// The keys in order.
    public var keys: [String] { members.map(\.key) }

    /// The value for `key`; setting `nil` removes the member, setting a value replaces it in place
    /// or appends it.
    public subscript(key: String) -> JSONValue? {
        get {
            for member in members where member.key == key {
                return member.value
            }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue {
                    members[index].value = newValue
                } else {
                    members.remove(at: index)
                }
            } else if let newValue {
                members.append((key: key, value: newValue))
            }
        }
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        for (left, right) in zip(lhs.members, rhs.members) where left.key != right.key || left.value != right.value {
            return false
        }
        return true
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements.map { (key: $0.0, value: $0.1) })
    }
}
