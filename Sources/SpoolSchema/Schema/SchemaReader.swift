/// Turns parsed schema JSON into fields, refusing what BigQuery would refuse, with messages that
/// name the file and the field.
struct SchemaReader {
    let file: String?

    mutating func readDocument(_ document: JSONValue) throws(SchemaError) -> [FieldSchema] {
        let fieldList: JSONValue
        switch document {
        case .array:
            fieldList = document
        case .object(let object):
            if let fields = object["fields"] {
                fieldList = fields
            } else if case .object(let schema)? = object["schema"], let fields = schema["fields"] {
                fieldList = fields
            } else {
                throw SchemaError(
                    .notASchema, file: file,
                    "expected an array of fields, {\"fields\": [...]} or {\"schema\": {\"fields\": [...]}}")
            }
        default:
            throw SchemaError(
                .notASchema, file: file,
                "expected an array of fields, {\"fields\": [...]} or {\"schema\": {\"fields\": [...]}}")
        }
        let fields = try readFields(fieldList, parentPath: nil)
        guard !fields.isEmpty else { throw SchemaError(.notASchema, file: file, "the schema has no fields") }
        return fields
    }

    private func readFields(_ value: JSONValue, parentPath: String?) throws(SchemaError) -> [FieldSchema] {
        guard case .array(let elements) = value else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: parentPath, "'fields' must be an array")
        }
        var fields: [FieldSchema] = []
        fields.reserveCapacity(elements.count)
        var seen: [String: String] = [:]
        for (position, element) in elements.enumerated() {
            let field = try readField(element, position: position, parentPath: parentPath)
            let folded = field.name.lowercased()
            if let earlier = seen[folded] {
                throw SchemaError(
                    .duplicateFieldName, file: file, fieldPath: SchemaReader.path(parentPath, field.name),
                    "duplicate field name (same as '\(earlier)'; BigQuery column names are case-insensitive)")
            }
            seen[folded] = field.name
            fields.append(field)
        }
        return fields
    }

    private func readField(_ value: JSONValue, position: Int, parentPath: String?) throws(SchemaError) -> FieldSchema {
        let positionPath = SchemaReader.path(parentPath, "#\(position + 1)")
        guard case .object(let object) = value else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: positionPath, "a field must be a JSON object")
        }
        guard case .string(let name)? = object["name"] else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: positionPath, "'name' is missing or not a string")
        }
        let path = SchemaReader.path(parentPath, name)
        if let problem = FieldName.problem(with: name) {
            throw SchemaError(.invalidFieldName, file: file, fieldPath: path, "invalid field name: \(problem)")
        }
        guard case .string(let typeText)? = object["type"] else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "'type' is missing or not a string")
        }
        guard let type = FieldType(spelling: typeText) else {
            let known = FieldType.spellings.keys.sorted().joined(separator: ", ")
            throw SchemaError(.unknownType, file: file, fieldPath: path, "unknown type '\(typeText)' (known: \(known))")
        }
        var mode = FieldMode.nullable
        switch object["mode"] {
        case nil, .null?:
            break
        case .string(let modeText)?:
            guard let parsed = FieldMode(spelling: modeText) else {
                throw SchemaError(
                    .invalidMode, file: file, fieldPath: path,
                    "invalid mode '\(modeText)' (expected NULLABLE, REQUIRED or REPEATED)")
            }
            mode = parsed
        default:
            throw SchemaError(.invalidMode, file: file, fieldPath: path, "'mode' must be a string")
        }
        var field = FieldSchema(name: name, type: type, mode: mode)
        field.description = try optionalString(object, "description", path: path)
        field.precision = try optionalInteger(object, "precision", path: path)
        field.scale = try optionalInteger(object, "scale", path: path)
        field.maxLength = try optionalInteger(object, "maxLength", path: path)
        if type.kind == .record {
            guard let subfields = object["fields"], case .array(let list) = subfields, !list.isEmpty else {
                throw SchemaError(.recordWithoutFields, file: file, fieldPath: path, "a \(type.spelling) needs at least one sub-field in 'fields'")
            }
            field.fields = try readFields(subfields, parentPath: path)
        } else if case .array(let list)? = object["fields"], !list.isEmpty {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "only RECORD/STRUCT fields may have 'fields'")
        }
        if type.kind == .range {
            guard case .object(let element)? = object["rangeElementType"], case .string(let elementText)? = element["type"],
                let elementType = FieldType(spelling: elementText),
                [.date, .datetime, .timestamp].contains(elementType.kind)
            else {
                throw SchemaError(
                    .invalidAttribute, file: file, fieldPath: path,
                    "a RANGE needs rangeElementType {\"type\": DATE, DATETIME or TIMESTAMP}")
            }
            field.rangeElementType = .init(type: elementType)
        }
        try SchemaReader.checkNumericParameters(field, file: file, path: path)
        return field
    }

    private func optionalString(_ object: JSONObject, _ key: String, path: String) throws(SchemaError) -> String? {
        switch object[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "'\(key)' must be a string")
        }
    }

    /// BigQuery writes these as decimal strings ("10"); hand-written files often use numbers.
    private func optionalInteger(_ object: JSONObject, _ key: String, path: String) throws(SchemaError) -> String? {
        let text: String
        switch object[key] {
        case nil, .null?: return nil
        case .string(let string)?: text = string
        case .number(let literal)?: text = literal
        default: throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "'\(key)' must be an integer")
        }
        guard let number = Int(text), number >= 0 else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "'\(key)' must be a non-negative integer")
        }
        return String(number)
    }

    /// NUMERIC(P, S) needs 1 ≤ P−S ≤ 29 and 0 ≤ S ≤ 9; BIGNUMERIC(P, S) 1 ≤ P−S ≤ 38 and 0 ≤ S ≤ 38.
    static func checkNumericParameters(_ field: FieldSchema, file: String?, path: String) throws(SchemaError) {
        guard field.precision != nil || field.scale != nil else { return }
        let limits: (integer: Int, scale: Int)
        switch field.type.kind {
        case .numeric: limits = (29, 9)
        case .bigNumeric: limits = (38, 38)
        default:
            throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "precision and scale apply only to NUMERIC and BIGNUMERIC")
        }
        let scale = field.scale.flatMap { Int($0) } ?? 0
        guard let precisionText = field.precision, let precision = Int(precisionText) else {
            throw SchemaError(.invalidAttribute, file: file, fieldPath: path, "scale needs a precision")
        }
        guard scale <= limits.scale, precision - scale >= 1, precision - scale <= limits.integer else {
            throw SchemaError(
                .invalidAttribute, file: file, fieldPath: path,
                "precision \(precision) and scale \(scale) are out of range for \(field.type.spelling)")
        }
    }

    /// Checks fields built in code with the rules a file is held to.
    static func check(_ fields: [FieldSchema], parentPath: String?) throws(SchemaError) {
        var seen: Set<String> = []
        for field in fields {
            let path = SchemaReader.path(parentPath, field.name)
            if let problem = FieldName.problem(with: field.name) {
                throw SchemaError(.invalidFieldName, fieldPath: path, "invalid field name: \(problem)")
            }
            guard seen.insert(field.name.lowercased()).inserted else {
                throw SchemaError(.duplicateFieldName, fieldPath: path, "duplicate field name (BigQuery column names are case-insensitive)")
            }
            if field.type.kind == .record {
                guard !field.fields.isEmpty else {
                    throw SchemaError(.recordWithoutFields, fieldPath: path, "a \(field.type.spelling) needs at least one sub-field")
                }
                try check(field.fields, parentPath: path)
            } else if !field.fields.isEmpty {
                throw SchemaError(.invalidAttribute, fieldPath: path, "only RECORD/STRUCT fields may have sub-fields")
            }
            if field.type.kind == .range {
                guard let element = field.rangeElementType, [.date, .datetime, .timestamp].contains(element.type.kind) else {
                    throw SchemaError(.invalidAttribute, fieldPath: path, "a RANGE needs a DATE, DATETIME or TIMESTAMP element type")
                }
            }
            try checkNumericParameters(field, file: nil, path: path)
        }
    }

    static func path(_ parent: String?, _ name: String) -> String {
        guard let parent else { return name }
        return parent + "." + name
    }
}
