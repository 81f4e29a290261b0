/// A schema field prepared for fast validation: lookups and constant message parts are computed
/// once per validator, not once per row.
final class CompiledField: Sendable {
    let name: String
    let kind: FieldType.Kind
    let mode: FieldMode
    /// For RECORD fields.
    let record: CompiledRecord?
    /// Integer and fraction digit limits for NUMERIC/BIGNUMERIC (nil limits for other types).
    let numericLimits: NumericLimits?
    /// STRING characters or BYTES bytes, when the schema sets maxLength.
    let maxLength: Int?
    /// The element kind of a RANGE.
    let rangeElement: FieldType.Kind?
    /// How BigQuery's internal protocol buffer declares this field, quoted by its record messages
    /// (`optional .Msg_0_CLOUD_QUERY_TABLE.Msg_1_CLOUD_QUERY_TABLE_event_properties event_properties = 11;`).
    let protoDeclaration: String

    init(_ field: FieldSchema, number: Int, parentMessage: String, depth: Int, pathNames: [String]) {
        name = field.name
        kind = field.type.kind
        mode = field.mode
        maxLength = field.maxLength.flatMap { Int($0) }
        rangeElement = field.rangeElementType?.type.kind
        numericLimits = NumericLimits(field)
        let label = switch field.mode {
        case .nullable: "optional"
        case .required: "required"
        case .repeated: "repeated"
        }
        if field.type.kind == .record {
            let names = pathNames + [field.name]
            let message = parentMessage + ".Msg_\(depth + 1)_CLOUD_QUERY_TABLE_" + names.joined(separator: "_")
            protoDeclaration = "\(label) \(message) \(field.name) = \(number);"
            record = CompiledRecord(field.fields, message: message, depth: depth + 1, pathNames: names)
        } else {
            protoDeclaration = "\(label) \(field.type.spelling.lowercased()) \(field.name) = \(number);"
            record = nil
        }
    }
}

/// The fields of the row or of one RECORD, with name lookups.
final class CompiledRecord: Sendable {
    let fields: [CompiledField]
    let requiredFields: [CompiledField]
    /// The dotted path of the first field nested deeper than BigQuery allows (inside this record), if any.
    let tooDeepField: String?
    private let columns: ColumnLookup

    init(_ fields: [FieldSchema], message: String, depth: Int, pathNames: [String]) {
        let compiled = fields.enumerated().map { position, field in
            CompiledField(field, number: position + 1, parentMessage: message, depth: depth, pathNames: pathNames)
        }
        self.fields = compiled
        requiredFields = compiled.filter { $0.mode == .required }
        // Top-level fields are at depth 1; this record's fields at depth + 1.
        if depth + 1 > RowValidator.maximumNestingDepth, let first = compiled.first {
            tooDeepField = (pathNames + [first.name]).joined(separator: ".")
        } else {
            tooDeepField = compiled.lazy.compactMap { $0.record?.tooDeepField }.first
        }
        columns = ColumnLookup(names: compiled.map(\.name))
    }

    /// The position of the field a JSON key names (see `ColumnLookup`).
    @inline(__always)
    func position(of key: String, after previous: Int) -> Int? {
        columns.position(of: key, after: previous)
    }
}

/// How many significant digits a NUMERIC or BIGNUMERIC value may have on each side of the point.
struct NumericLimits: Sendable {
    let integerDigits: Int
    let fractionDigits: Int
    /// Parameterized types round extra fraction digits; the defaults refuse them.
    let roundsFraction: Bool
    let isBig: Bool

    init?(_ field: FieldSchema) {
        let isBig: Bool
        switch field.type.kind {
        case .numeric: isBig = false
        case .bigNumeric: isBig = true
        default: return nil
        }
        self.isBig = isBig
        if let precision = field.precision.flatMap({ Int($0) }) {
            let scale = field.scale.flatMap { Int($0) } ?? 0
            integerDigits = precision - scale
            fractionDigits = scale
            roundsFraction = true
        } else {
            integerDigits = isBig ? 38 : 29
            fractionDigits = isBig ? 38 : 9
            roundsFraction = false
        }
    }
}
