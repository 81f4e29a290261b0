import SpoolSchema
import SwiftProtobuf

/// A table's rows as protocol buffer messages for the Storage Write API: the writer schema (`descriptor`, sent on
/// the first request of a connection) and each JSON row encoded against it.
///
/// The message has one field per column, numbered in schema order from 1, proto2 labels from the modes
/// (REQUIRED → required, REPEATED → repeated, NULLABLE → optional); RECORD and RANGE columns are nested messages
/// declared inside the root message so the descriptor is self-contained. Values take the encodings BigQuery
/// documents for the Write API ("Supported protocol buffer data types"), chosen so that no value changes on the
/// way: INT64 int64; FLOAT64 double; BOOL bool; STRING, GEOGRAPHY and JSON string; BYTES bytes (decoded from
/// base64); NUMERIC and BIGNUMERIC string (a plain decimal, never a double); TIMESTAMP int64 microseconds since
/// the epoch; DATE int32 days since the epoch; TIME and DATETIME their canonical literals; RANGE a message with
/// `start` = 1 and `end` = 2 of the element's encoding, an unbounded side left out. A null or missing value is
/// left out (NULL in BigQuery).
///
/// Rows reach the encoder after local validation; a value it still cannot convert is a `ProtoRowEncodingError`
/// naming the column, never the value.
public struct ProtoRowEncoder: Sendable {
    /// The root message's name in `descriptor`.
    public static let messageName = "Row"

    /// The writer schema (`ProtoSchema.proto_descriptor`).
    public let descriptor: Google_Protobuf_DescriptorProto
    private let root: MessagePlan

    public init(schema: TableSchema) throws(ProtoRowEncodingError) {
        var descriptor = Google_Protobuf_DescriptorProto()
        descriptor.name = ProtoRowEncoder.messageName
        var nested: [Google_Protobuf_DescriptorProto] = []
        root = try MessagePlan(schema.fields, parentPath: "", typePrefix: "", into: &descriptor, nested: &nested)
        descriptor.nestedType = nested
        self.descriptor = descriptor
    }

    /// One row's JSON object text as a serialized message.
    public func encode(_ row: String) throws(ProtoRowEncodingError) -> [UInt8] {
        let value: JSONValue
        do {
            value = try JSONParser.parse(row)
        } catch {
            throw ProtoRowEncodingError(field: "", reason: "the row is not valid JSON")
        }
        return try encode(value)
    }

    /// One row (a JSON object) as a serialized message.
    public func encode(_ row: JSONValue) throws(ProtoRowEncodingError) -> [UInt8] {
        guard case .object(let object) = row else {
            throw ProtoRowEncodingError(field: "", reason: "the row is not a JSON object")
        }
        var writer = ProtobufWriter()
        writer.bytes.reserveCapacity(256)
        try root.write(object, to: &writer)
        return writer.bytes
    }
}

/// A row value the encoder cannot convert. `field` is the column's dotted path (empty for the row itself);
/// `reason` never contains the value.
public struct ProtoRowEncodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var reason: String

    public init(field: String, reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? reason : "\(field): \(reason)"
    }
}

/// The columns of the row or of one RECORD, with name lookups (BigQuery matches JSON keys to columns
/// case-insensitively).
private final class MessagePlan: Sendable {
    let fields: [FieldPlan]
    private let columns: ColumnLookup

    /// Compiles `fields` and declares them in `message`; nested messages go to `nested` (the root's list).
    init(
        _ fields: [FieldSchema], parentPath: String, typePrefix: String,
        into message: inout Google_Protobuf_DescriptorProto, nested: inout [Google_Protobuf_DescriptorProto]
    ) throws(ProtoRowEncodingError) {
        var plans: [FieldPlan] = []
        for (position, field) in fields.enumerated() {
            let number = Int32(position + 1)
            let path = parentPath.isEmpty ? field.name : parentPath + "." + field.name
            guard MessagePlan.isProtoIdentifier(field.name) else {
                throw ProtoRowEncodingError(
                    field: path,
                    reason: "the column name is not a protocol buffer field name (letters, digits and _ only); "
                        + "the Storage Write API needs it annotated, which Spool does not do")
            }
            var declaration = Google_Protobuf_FieldDescriptorProto()
            declaration.name = field.name
            declaration.number = number
            declaration.label = switch field.mode {
            case .nullable: .optional
            case .required: .required
            case .repeated: .repeated
            }
            var record: MessagePlan? = nil
            let kind = field.type.kind
            let rangeElement = field.rangeElementType?.type.kind ?? .timestamp
            switch kind {
            case .record:
                let typeName = typePrefix + "Record_\(position + 1)"
                var child = Google_Protobuf_DescriptorProto()
                child.name = typeName
                record = try MessagePlan(field.fields, parentPath: path, typePrefix: typeName + "_", into: &child, nested: &nested)
                nested.append(child)
                declaration.type = .message
                declaration.typeName = typeName
            case .range:
                let typeName = typePrefix + "Range_\(position + 1)"
                var child = Google_Protobuf_DescriptorProto()
                child.name = typeName
                for (boundNumber, bound) in ["start", "end"].enumerated() {
                    var boundField = Google_Protobuf_FieldDescriptorProto()
                    boundField.name = bound
                    boundField.number = Int32(boundNumber + 1)
                    boundField.label = .optional
                    boundField.type = MessagePlan.protoType(rangeElement)
                    child.field.append(boundField)
                }
                nested.append(child)
                declaration.type = .message
                declaration.typeName = typeName
            default:
                declaration.type = MessagePlan.protoType(kind)
            }
            message.field.append(declaration)
            plans.append(
                FieldPlan(
                    number: number, name: field.name, path: path, kind: kind, repeated: field.mode == .repeated, record: record,
                    rangeElement: rangeElement))
        }
        self.fields = plans
        columns = ColumnLookup(names: fields.map(\.name))
    }

    /// The protobuf type each BigQuery type is sent as (see `ProtoRowEncoder`).
    static func protoType(_ kind: SpoolSchema.FieldType.Kind) -> Google_Protobuf_FieldDescriptorProto.TypeEnum {
        switch kind {
        case .integer, .timestamp: .int64
        case .date: .int32
        case .float: .double
        case .boolean: .bool
        case .bytes: .bytes
        case .record, .range: .message
        case .string, .numeric, .bigNumeric, .time, .datetime, .geography, .json: .string
        }
    }

    static func isProtoIdentifier(_ name: String) -> Bool {
        guard let first = name.utf8.first, first == UInt8(ascii: "_") || isLetter(first) else { return false }
        return name.utf8.allSatisfy { $0 == UInt8(ascii: "_") || isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
    }

    /// Writes the object's values in field-number order (as protobuf libraries serialize), skipping nulls and
    /// keys that name no column.
    func write(_ object: JSONObject, to writer: inout ProtobufWriter) throws(ProtoRowEncodingError) {
        var values = [JSONValue?](repeating: nil, count: fields.count)
        var previous = -1
        for member in object.members {
            if let position = columns.position(of: member.key, after: previous) {
                values[position] = member.value
                previous = position
            }
        }
        for (field, value) in zip(fields, values) {
            guard let value, !value.isNull else { continue }
            try field.write(value, to: &writer)
        }
    }
}

private struct FieldPlan: Sendable {
    let number: Int32
    let name: String
    let path: String
    let kind: SpoolSchema.FieldType.Kind
    let repeated: Bool
    let record: MessagePlan?
    let rangeElement: SpoolSchema.FieldType.Kind

    func write(_ value: JSONValue, to writer: inout ProtobufWriter) throws(ProtoRowEncodingError) {
        guard repeated else { return try writeSingle(value, to: &writer) }
        guard case .array(let elements) = value else { throw failure("a REPEATED column needs an array") }
        for element in elements where !element.isNull {
            try writeSingle(element, to: &writer)
        }
    }

    private func writeSingle(_ value: JSONValue, to writer: inout ProtobufWriter) throws(ProtoRowEncodingError) {
        switch kind {
        case .string:
            switch value {
            case .string(let text), .number(let text): writer.stringField(number, text)
            default: throw failure("a STRING needs a string or a number")
            }
        case .bytes:
            guard case .string(let text) = value, let bytes = WireValues.base64Decoded(text) else {
                throw failure("BYTES need base64 text")
            }
            writer.bytesField(number, bytes)
        case .integer:
            guard let text = numberText(value), let integer = WireValues.int64(text) else {
                throw failure("not a whole number within INT64")
            }
            writer.int64Field(number, integer)
        case .float:
            guard let double = FieldPlan.double(value) else { throw failure("not a FLOAT64") }
            writer.doubleField(number, double)
        case .numeric, .bigNumeric:
            guard let text = numberText(value), let decimal = WireValues.plainDecimal(text) else {
                throw failure("not a decimal number")
            }
            writer.stringField(number, decimal)
        case .boolean:
            guard let bool = FieldPlan.bool(value) else { throw failure("not a BOOL") }
            writer.boolField(number, bool)
        case .timestamp, .date, .time, .datetime:
            try writeCivil(value, kind: kind, number: number, to: &writer)
        case .geography:
            guard case .string(let text) = value else { throw failure("a GEOGRAPHY needs a string") }
            writer.stringField(number, text)
        case .json:
            if case .string(let text) = value {
                writer.stringField(number, text)
            } else {
                writer.stringField(number, value.serialized())
            }
        case .record:
            guard case .object(let object) = value, let record else { throw failure("a RECORD needs an object") }
            try writer.messageField(number) { (nested: inout ProtobufWriter) throws(ProtoRowEncodingError) in
                try record.write(object, to: &nested)
            }
        case .range:
            let bounds: (start: String?, end: String?)
            switch value {
            case .string(let text):
                guard let parsed = WireValues.rangeBounds(text) else { throw failure("not a RANGE") }
                bounds = parsed
            case .object(let object):
                bounds = (object["start"]?.stringValue, object["end"]?.stringValue)
            default:
                throw failure("not a RANGE")
            }
            try writer.messageField(number) { (nested: inout ProtobufWriter) throws(ProtoRowEncodingError) in
                if let start = bounds.start { try writeCivil(.string(start), kind: rangeElement, number: 1, to: &nested) }
                if let end = bounds.end { try writeCivil(.string(end), kind: rangeElement, number: 2, to: &nested) }
            }
        }
    }

    private func writeCivil(
        _ value: JSONValue, kind: SpoolSchema.FieldType.Kind, number: Int32, to writer: inout ProtobufWriter
    ) throws(ProtoRowEncodingError) {
        switch kind {
        case .timestamp:
            guard let text = numberText(value), let micros = WireValues.timestampMicroseconds(text) else {
                throw failure("not a TIMESTAMP")
            }
            writer.int64Field(number, micros)
        case .date:
            guard case .string(let text) = value, let days = WireValues.dateDays(text) else { throw failure("not a DATE") }
            writer.int64Field(number, Int64(days))
        case .time:
            guard case .string(let text) = value, let literal = WireValues.canonicalTime(text) else {
                throw failure("not a TIME")
            }
            writer.stringField(number, literal)
        default:
            guard case .string(let text) = value, let literal = WireValues.canonicalDatetime(text) else {
                throw failure("not a DATETIME")
            }
            writer.stringField(number, literal)
        }
    }

    /// The text of a number or of a string (BigQuery takes numeric strings for numeric columns).
    private func numberText(_ value: JSONValue) -> String? {
        switch value {
        case .number(let text), .string(let text): text
        default: nil
        }
    }

    private static let specialDoubles: [String: Double] = [
        "nan": .nan, "inf": .infinity, "+inf": .infinity, "-inf": -.infinity, "infinity": .infinity,
        "+infinity": .infinity, "-infinity": -.infinity,
    ]

    private static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .number(let text): return Double(text)
        case .string(let text):
            if text.utf8.count <= 9, let special = specialDoubles[text.lowercased()] { return special }
            return WireValues.isDecimal(text) ? Double(text) : nil
        default: return nil
        }
    }

    private static func bool(_ value: JSONValue) -> Bool? {
        switch value {
        case .bool(let bool): return bool
        case .string(let text):
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        default: return nil
        }
    }

    private func failure(_ reason: String) -> ProtoRowEncodingError {
        ProtoRowEncodingError(field: path, reason: reason)
    }
}
