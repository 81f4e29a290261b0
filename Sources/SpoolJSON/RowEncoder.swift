import Foundation

/// Encodes an `Encodable` event straight into JSON bytes, in one pass, in the order its fields are encoded.
///
/// Foundation's `JSONEncoder` builds a tree of boxed values first and cost ~20 µs per event on Linux — more than the
/// commit it precedes. This writes as it goes: a container is opened when asked for and closed as soon as something
/// is written to a container further out, which is how synthesized and ordinary hand-written `encode(to:)` use them.
/// Anything else (returning to a container after leaving it, `superEncoder`) throws `Unsupported`, and the caller
/// falls back to `JSONEncoder`. Values follow `JSONEncoder`'s conventions: dates are handled by the caller's
/// `date` closure, `Data` is base64, `Decimal` and `URL` as `JSONEncoder` writes them, non-finite floats as strings.
package struct RowEncoder {
    package struct Unsupported: Error {}

    private let date: (Date) -> String

    package init(date: @escaping (Date) -> String) {
        self.date = date
    }

    package func encode<Value: Encodable>(_ value: Value) throws -> [UInt8] {
        let writer = JSONWriter(date: date)
        try writer.writeValue(value, depth: 0, codingPath: [])
        writer.closeContainers(above: -1)
        if writer.misused { throw Unsupported() }
        return writer.bytes
    }
}

/// The output and the stack of open containers shared by every encoder and container of one `RowEncoder.encode`.
private final class JSONWriter {
    // One writer serves one encode call on one thread: the runtime's exclusivity checks (half the time) are moot.
    @exclusivity(unchecked) var bytes: [UInt8] = []
    let date: (Date) -> String
    /// Open containers, outermost first; a container's depth is its index here.
    @exclusivity(unchecked) private var open: [(id: Int, closing: UInt8, isEmpty: Bool)] = []
    @exclusivity(unchecked) private var nextId = 0
    /// Set when a container was used out of order where the protocol does not let the call throw.
    @exclusivity(unchecked) var misused = false

    init(date: @escaping (Date) -> String) {
        self.date = date
        bytes.reserveCapacity(512)
    }

    // MARK: Containers

    /// Opens a container at `depth` (closing anything still open there or deeper); returns its id.
    func openContainer(_ opening: UInt8, _ closing: UInt8, depth: Int) -> Int {
        closeContainers(above: depth - 1)
        bytes.append(opening)
        nextId += 1
        open.append((nextId, closing, true))
        return nextId
    }

    /// The id of the container open at `depth`, if any.
    func containerId(at depth: Int) -> Int? {
        depth < open.count ? open[depth].id : nil
    }

    /// Closes every container deeper than `depth`.
    func closeContainers(above depth: Int) {
        while open.count > depth + 1 {
            bytes.append(open.removeLast().closing)
        }
    }

    /// Before an element of container `id` at `depth`: closes deeper containers, writes the separator.
    func startElement(of id: Int, depth: Int) throws {
        guard depth < open.count, open[depth].id == id else { throw RowEncoder.Unsupported() }
        closeContainers(above: depth)
        if open[depth].isEmpty {
            open[depth].isEmpty = false
        } else {
            bytes.append(UInt8(ascii: ","))
        }
    }

    func startMember(_ key: some CodingKey, of id: Int, depth: Int) throws {
        try startElement(of: id, depth: depth)
        writeString(key.stringValue)
        bytes.append(UInt8(ascii: ":"))
    }

    // MARK: Values

    /// Writes one value whose slot (key or separator) is already written; `depth` is where its own container goes.
    func writeValue<Value: Encodable>(_ value: Value, depth: Int, codingPath: [any CodingKey]) throws {
        // Metatype comparisons first: a dynamic cast for every nested value costs more than writing most of them.
        switch ObjectIdentifier(Value.self) {
        case ObjectIdentifier(Date.self):
            writeString(self.date(value as! Date))
        case ObjectIdentifier(Data.self):
            writeString((value as! Data).base64EncodedString())
        case ObjectIdentifier(Decimal.self):
            writeASCII((value as! Decimal).description)
        case ObjectIdentifier(URL.self):
            writeString((value as! URL).absoluteString)
        default:
            let before = bytes.count
            try value.encode(to: RowValueEncoder(writer: self, depth: depth, codingPath: codingPath))
            // JSONEncoder writes a value that encoded nothing as an empty object.
            if bytes.count == before {
                bytes.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
            }
        }
    }

    func writeNull() {
        bytes.append(contentsOf: [UInt8(ascii: "n"), UInt8(ascii: "u"), UInt8(ascii: "l"), UInt8(ascii: "l")])
    }

    func write(_ value: Bool) {
        writeASCII(value ? "true" : "false")
    }

    func write<Integer: BinaryInteger>(_ value: Integer) {
        if value == 0 {
            bytes.append(UInt8(ascii: "0"))
            return
        }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = bytes.count
        while magnitude > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: magnitude % 10))
            magnitude /= 10
        }
        bytes[start...].reverse()
    }

    /// As JSONEncoder (with non-finite values converted to strings): shortest round-trip digits, no ".0" suffix.
    func write<Float: BinaryFloatingPoint & LosslessStringConvertible>(_ value: Float) {
        guard value.isFinite else {
            writeString(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity")
            return
        }
        var text = value.description
        if text.hasSuffix(".0") { text.removeLast(2) }
        writeASCII(text)
    }

    /// Escaped as JSONEncoder escapes: what JSON requires, with the short forms (`\n`, `\b` …).
    func writeString(_ value: String) {
        JSONText.appendString(value, to: &bytes, escaping: .required)
    }

    private func writeASCII(_ text: String) {
        bytes.append(contentsOf: text.utf8)
    }
}

/// The `Encoder` handed to a value's `encode(to:)`: its container opens at `depth`.
private struct RowValueEncoder: Encoder {
    let writer: JSONWriter
    let depth: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(RowKeyedContainer<Key>(writer: writer, id: openOrReuse(UInt8(ascii: "{"), UInt8(ascii: "}")), depth: depth, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        RowUnkeyedContainer(writer: writer, id: openOrReuse(UInt8(ascii: "["), UInt8(ascii: "]")), depth: depth, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        RowSingleValueContainer(writer: writer, depth: depth, codingPath: codingPath)
    }

    /// Asking twice for a container (as some encode(to:) do) gets the one already open here: a container a sibling
    /// value opened at this depth was closed when this value's key or separator was written.
    private func openOrReuse(_ opening: UInt8, _ closing: UInt8) -> Int {
        if let id = writer.containerId(at: depth) { return id }
        return writer.openContainer(opening, closing, depth: depth)
    }
}

private struct RowKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let writer: JSONWriter
    let id: Int
    let depth: Int
    let codingPath: [any CodingKey]

    private func member(_ key: Key) throws {
        try writer.startMember(key, of: id, depth: depth)
    }

    mutating func encodeNil(forKey key: Key) throws { try member(key); writer.writeNull() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try member(key); writer.writeString(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try member(key); writer.write(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try member(key); writer.write(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try member(key)
        try writer.writeValue(value, depth: depth + 1, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        // The protocol does not let this throw: a misuse is reported when the encoding ends.
        if (try? member(key)) == nil { writer.misused = true }
        let nested = writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"), depth: depth + 1)
        return KeyedEncodingContainer(RowKeyedContainer<NestedKey>(writer: writer, id: nested, depth: depth + 1, codingPath: codingPath + [key]))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        if (try? member(key)) == nil { writer.misused = true }
        let nested = writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"), depth: depth + 1)
        return RowUnkeyedContainer(writer: writer, id: nested, depth: depth + 1, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct RowUnkeyedContainer: UnkeyedEncodingContainer {
    let writer: JSONWriter
    let id: Int
    let depth: Int
    let codingPath: [any CodingKey]
    private(set) var count = 0

    init(writer: JSONWriter, id: Int, depth: Int, codingPath: [any CodingKey]) {
        self.writer = writer
        self.id = id
        self.depth = depth
        self.codingPath = codingPath
    }

    private mutating func element() throws {
        try writer.startElement(of: id, depth: depth)
        count += 1
    }

    mutating func encodeNil() throws { try element(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { try element(); writer.write(value) }
    mutating func encode(_ value: String) throws { try element(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Float) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Int) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Int8) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Int16) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Int32) throws { try element(); writer.write(value) }
    mutating func encode(_ value: Int64) throws { try element(); writer.write(value) }
    mutating func encode(_ value: UInt) throws { try element(); writer.write(value) }
    mutating func encode(_ value: UInt8) throws { try element(); writer.write(value) }
    mutating func encode(_ value: UInt16) throws { try element(); writer.write(value) }
    mutating func encode(_ value: UInt32) throws { try element(); writer.write(value) }
    mutating func encode(_ value: UInt64) throws { try element(); writer.write(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try element()
        try writer.writeValue(value, depth: depth + 1, codingPath: codingPath + [IndexKey(count - 1)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        if (try? element()) == nil { writer.misused = true }
        let nested = writer.openContainer(UInt8(ascii: "{"), UInt8(ascii: "}"), depth: depth + 1)
        return KeyedEncodingContainer(RowKeyedContainer<NestedKey>(writer: writer, id: nested, depth: depth + 1, codingPath: codingPath + [IndexKey(count - 1)]))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        if (try? element()) == nil { writer.misused = true }
        let nested = writer.openContainer(UInt8(ascii: "["), UInt8(ascii: "]"), depth: depth + 1)
        return RowUnkeyedContainer(writer: writer, id: nested, depth: depth + 1, codingPath: codingPath + [IndexKey(count - 1)])
    }

    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct RowSingleValueContainer: SingleValueEncodingContainer {
    let writer: JSONWriter
    let depth: Int
    let codingPath: [any CodingKey]

    /// A single value fills the slot its encoder was given; deeper containers left open before it are closed.
    private func slot() {
        writer.closeContainers(above: depth - 1)
    }

    mutating func encodeNil() throws { slot(); writer.writeNull() }
    mutating func encode(_ value: Bool) throws { slot(); writer.write(value) }
    mutating func encode(_ value: String) throws { slot(); writer.writeString(value) }
    mutating func encode(_ value: Double) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Float) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Int) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Int8) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Int16) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Int32) throws { slot(); writer.write(value) }
    mutating func encode(_ value: Int64) throws { slot(); writer.write(value) }
    mutating func encode(_ value: UInt) throws { slot(); writer.write(value) }
    mutating func encode(_ value: UInt8) throws { slot(); writer.write(value) }
    mutating func encode(_ value: UInt16) throws { slot(); writer.write(value) }
    mutating func encode(_ value: UInt32) throws { slot(); writer.write(value) }
    mutating func encode(_ value: UInt64) throws { slot(); writer.write(value) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        slot()
        try writer.writeValue(value, depth: depth, codingPath: codingPath)
    }
}

/// `superEncoder` has no place in a one-pass writer: its first use sends the event to `JSONEncoder` instead.
private struct UnsupportedEncoder: Encoder {
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(UnsupportedKeyedContainer<Key>(codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer { UnsupportedUnkeyedContainer(codingPath: codingPath) }
    func singleValueContainer() -> any SingleValueEncodingContainer { UnsupportedSingleValueContainer(codingPath: codingPath) }
}

private struct UnsupportedKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let codingPath: [any CodingKey]
    mutating func encodeNil(forKey key: Key) throws { throw RowEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { throw RowEncoder.Unsupported() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(UnsupportedKeyedContainer<NestedKey>(codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { UnsupportedUnkeyedContainer(codingPath: codingPath) }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct UnsupportedUnkeyedContainer: UnkeyedEncodingContainer {
    let codingPath: [any CodingKey]
    var count: Int { 0 }
    mutating func encodeNil() throws { throw RowEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw RowEncoder.Unsupported() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(UnsupportedKeyedContainer<NestedKey>(codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { UnsupportedUnkeyedContainer(codingPath: codingPath) }
    mutating func superEncoder() -> any Encoder { UnsupportedEncoder(codingPath: codingPath) }
}

private struct UnsupportedSingleValueContainer: SingleValueEncodingContainer {
    let codingPath: [any CodingKey]
    mutating func encodeNil() throws { throw RowEncoder.Unsupported() }
    mutating func encode<T: Encodable>(_ value: T) throws { throw RowEncoder.Unsupported() }
}

/// An array position in a coding path.
private struct IndexKey: CodingKey {
    let intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(_ index: Int) { intValue = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}
