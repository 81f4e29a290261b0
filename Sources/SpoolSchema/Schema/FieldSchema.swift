/// One column of a BigQuery table schema, as written in `bq show --schema` files and in the
/// `schema.fields` of a tables.get resource. Keys the file has beyond these (policyTags,
/// defaultValueExpression, collation …) are ignored.
public struct FieldSchema: Sendable, Equatable, Codable {
    /// The element type of a RANGE column.
    public struct RangeElementType: Sendable, Equatable, Codable {
        /// DATE, DATETIME or TIMESTAMP.
        public var type: FieldType

        public init(type: FieldType) {
            self.type = type
        }
    }

    public var name: String
    public var type: FieldType
    public var mode: FieldMode
    /// The sub-fields of a RECORD column; empty for other types.
    public var fields: [FieldSchema]
    public var description: String?
    /// NUMERIC/BIGNUMERIC precision as BigQuery writes it (a decimal string such as "10").
    public var precision: String?
    /// NUMERIC/BIGNUMERIC scale as BigQuery writes it (a decimal string such as "2").
    public var scale: String?
    /// STRING/BYTES maximum length as BigQuery writes it (a decimal string).
    public var maxLength: String?
    /// The element type of a RANGE column.
    public var rangeElementType: RangeElementType?

    public init(
        name: String, type: FieldType, mode: FieldMode = .nullable, fields: [FieldSchema] = [],
        description: String? = nil, precision: String? = nil, scale: String? = nil, maxLength: String? = nil,
        rangeElementType: RangeElementType? = nil
    ) {
        self.name = name
        self.type = type
        self.mode = mode
        self.fields = fields
        self.description = description
        self.precision = precision
        self.scale = scale
        self.maxLength = maxLength
        self.rangeElementType = rangeElementType
    }

    private enum CodingKeys: String, CodingKey {
        case name, type, mode, fields, description, precision, scale, maxLength, rangeElementType
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        type = try container.decode(FieldType.self, forKey: .type)
        mode = try container.decodeIfPresent(FieldMode.self, forKey: .mode) ?? .nullable
        fields = try container.decodeIfPresent([FieldSchema].self, forKey: .fields) ?? []
        description = try container.decodeIfPresent(String.self, forKey: .description)
        precision = try container.decodeIfPresent(String.self, forKey: .precision)
        scale = try container.decodeIfPresent(String.self, forKey: .scale)
        maxLength = try container.decodeIfPresent(String.self, forKey: .maxLength)
        rangeElementType = try container.decodeIfPresent(RangeElementType.self, forKey: .rangeElementType)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(type, forKey: .type)
        try container.encode(mode, forKey: .mode)
        if !fields.isEmpty { try container.encode(fields, forKey: .fields) }
        try container.encodeIfPresent(description, forKey: .description)
        try container.encodeIfPresent(precision, forKey: .precision)
        try container.encodeIfPresent(scale, forKey: .scale)
        try container.encodeIfPresent(maxLength, forKey: .maxLength)
        try container.encodeIfPresent(rangeElementType, forKey: .rangeElementType)
    }
}

extension FieldSchema {
    /// The field as JSON, in the key order `bq` users expect to read.
    var jsonValue: JSONValue {
        var object = JSONObject()
        object["name"] = .string(name)
        object["type"] = .string(type.spelling)
        object["mode"] = .string(mode.rawValue)
        if let description { object["description"] = .string(description) }
        if let precision { object["precision"] = .string(precision) }
        if let scale { object["scale"] = .string(scale) }
        if let maxLength { object["maxLength"] = .string(maxLength) }
        if let rangeElementType {
            object["rangeElementType"] = .object(["type": .string(rangeElementType.type.spelling)])
        }
        if !fields.isEmpty { object["fields"] = .array(fields.map(\.jsonValue)) }
        return .object(object)
    }
}
