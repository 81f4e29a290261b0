/// The few pieces of the protocol buffer wire format a row needs, appended to a byte buffer.
struct ProtobufWriter {
    enum WireType: UInt64 {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
    }

    var bytes: [UInt8] = []

    mutating func tag(_ number: Int32, _ wireType: WireType) {
        varint(UInt64(number) << 3 | wireType.rawValue)
    }

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// int64 and int32 alike: negative values take ten bytes (sign-extended), as protobuf encodes them.
    mutating func int64Field(_ number: Int32, _ value: Int64) {
        tag(number, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func boolField(_ number: Int32, _ value: Bool) {
        tag(number, .varint)
        bytes.append(value ? 1 : 0)
    }

    mutating func doubleField(_ number: Int32, _ value: Double) {
        tag(number, .fixed64)
        var bits = value.bitPattern
        for _ in 0..<8 {
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bits >>= 8
        }
    }

    mutating func stringField(_ number: Int32, _ value: String) {
        tag(number, .lengthDelimited)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    mutating func bytesField(_ number: Int32, _ value: [UInt8]) {
        tag(number, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes a nested message: `body` appends its fields, then its length is inserted before them.
    mutating func messageField<E: Error>(_ number: Int32, _ body: (inout ProtobufWriter) throws(E) -> Void) throws(E) {
        tag(number, .lengthDelimited)
        let start = bytes.count
        try body(&self)
        let length = UInt64(bytes.count - start)
        if length < 0x80 {
            bytes.insert(UInt8(length), at: start)
            return
        }
        var prefix: [UInt8] = []
        var remaining = length
        while remaining >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        prefix.append(UInt8(remaining))
        bytes.insert(contentsOf: prefix, at: start)
    }
}
