/// Checks rows the way BigQuery's tabledata.insertAll converts them (the real service, not the
/// lax emulator), so that a row BigQuery will never accept can be dead-lettered before it is sent
/// and a batch is not stopped by it.
///
/// Like BigQuery it reports one error per row: conversion errors in the order the row's members
/// are met, then, if there were none, one error listing every missing REQUIRED field. See
/// `BigQueryMessages` for the wording and where it comes from.
public struct RowValidator: Sendable {
    private let root: CompiledRecord
    private let ignoreUnknownValues: Bool

    /// - Parameters:
    ///   - ignoreUnknownValues: as insertAll's flag: members the schema does not have are ignored
    ///     instead of making the row invalid.
    public init(schema: TableSchema, ignoreUnknownValues: Bool = false) {
        root = CompiledRecord(schema.fields, message: ".Msg_0_CLOUD_QUERY_TABLE", depth: 0, pathNames: [])
        self.ignoreUnknownValues = ignoreUnknownValues
    }

    /// BigQuery's limit on one insertAll request (10 MB): a row larger than this can never be sent.
    public static let maximumRequestBytes = 10_485_760

    /// How deep RECORD fields may nest: a table cannot have a field deeper than this.
    public static let maximumNestingDepth = 15

    /// The verdict on a row of `byteCount` bytes of JSON text before it is parsed: too large to send, or nil.
    public static func sizeProblem(byteCount: Int) -> RowError? {
        byteCount > maximumRequestBytes ? .invalid(location: "", message: BigQueryMessages.requestTooLarge) : nil
    }

    /// The first error BigQuery would report for `row`, or nil when BigQuery would accept it.
    public func validate(_ row: JSONValue) -> RowError? {
        guard case .object(let object) = row else {
            return .invalid(location: "", message: BigQueryMessages.rowNotObject)
        }
        if let path = root.tooDeepField {
            // No such table can exist: BigQuery refuses the schema, so no row of it is accepted.
            return .invalid(location: path, message: BigQueryMessages.nestedTooDeeply(path))
        }
        if let error = convert(object, record: root, prefix: "") {
            return error
        }
        var missing: [String] = []
        collectMissing(object, record: root, prefix: "", into: &missing)
        guard missing.isEmpty else {
            return .invalid(location: "", message: BigQueryMessages.missingRequired(missing))
        }
        return nil
    }

    /// `validate` for JSON text; text that is not JSON gives reason `invalid`, an empty location
    /// and a message with the byte offset (never the text).
    public func validate(json: String) -> RowError? {
        let row: JSONValue
        do {
            row = try JSONParser.parse(json)
        } catch {
            return .invalid(location: "", message: "\(BigQueryMessages.rowNotJSON): \(error)")
        }
        return validate(row)
    }

    // MARK: Conversion pass

    private func convert(_ object: JSONObject, record: CompiledRecord, prefix: String) -> RowError? {
        var previous = -1
        // Through a buffer: members are read in place, not copied (and retained) one by one.
        return object.members.withUnsafeBufferPointer { members -> RowError? in
            for index in members.indices {
                guard let position = record.position(of: members[index].key, after: previous) else {
                    if ignoreUnknownValues { continue }
                    let key = members[index].key
                    return .invalid(location: RowValidator.join(prefix, key), message: BigQueryMessages.noSuchField(key))
                }
                previous = position
                if let error = convert(members[index].value, field: record.fields[position], location: RowValidator.join(prefix, members[index].key)) {
                    return error
                }
            }
            return nil
        }
    }

    private func convert(_ value: JSONValue, field: CompiledField, location: @autoclosure () -> String) -> RowError? {
        if case .null = value {
            // NULLABLE: null; REPEATED: an empty array; REQUIRED: reported by the missing-fields pass.
            return nil
        }
        if field.mode == .repeated {
            guard case .array(let elements) = value else {
                return .invalid(location: location(), message: BigQueryMessages.repeatedNeedsArray(field.name))
            }
            guard !elements.isEmpty else { return nil }
            let base = location()
            for (position, element) in elements.enumerated() {
                switch element {
                case .null:
                    return .invalid(location: "\(base)[\(position)]", message: BigQueryMessages.nullInRepeated(field.name))
                case .array:
                    return .invalid(location: "\(base)[\(position)]", message: BigQueryMessages.arrayForNonRepeated(field.name))
                default:
                    if let error = convertSingle(element, field: field, location: "\(base)[\(position)]") { return error }
                }
            }
            return nil
        }
        if case .array = value {
            return .invalid(location: location(), message: BigQueryMessages.arrayForNonRepeated(field.name))
        }
        return convertSingle(value, field: field, location: location())
    }

    /// One non-null, non-array value.
    private func convertSingle(_ value: JSONValue, field: CompiledField, location: @autoclosure () -> String) -> RowError? {
        if let record = field.record {
            guard case .object(let object) = value else {
                return .invalid(
                    location: location(),
                    message: BigQueryMessages.notConvertibleToRecord(value, declaration: field.protoDeclaration))
            }
            return convert(object, record: record, prefix: location())
        }
        if case .object = value, field.kind != .json, field.kind != .range {
            return .invalid(location: location(), message: BigQueryMessages.notARecord(field.name))
        }
        if let message = ScalarConversion.problem(value, field: field) {
            return .invalid(location: location(), message: message)
        }
        return nil
    }

    // MARK: Required fields pass

    private func collectMissing(_ object: JSONObject, record: CompiledRecord, prefix: String, into missing: inout [String]) {
        for field in record.requiredFields {
            let value = RowValidator.member(of: object, named: field.name)
            if value == nil || value == .null {
                missing.append(RowValidator.join(prefix, field.name))
            }
        }
        for field in record.fields {
            guard let subrecord = field.record, let value = RowValidator.member(of: object, named: field.name) else { continue }
            switch value {
            case .object(let child):
                collectMissing(child, record: subrecord, prefix: RowValidator.join(prefix, field.name), into: &missing)
            case .array(let elements):
                for (position, element) in elements.enumerated() {
                    if case .object(let child) = element {
                        collectMissing(
                            child, record: subrecord, prefix: "\(RowValidator.join(prefix, field.name))[\(position)]",
                            into: &missing)
                    }
                }
            default:
                continue
            }
        }
    }

    /// The member a field name matches, case-insensitively as BigQuery matches column names.
    private static func member(of object: JSONObject, named name: String) -> JSONValue? {
        for member in object.members where member.key == name {
            return member.value
        }
        for member in object.members where member.key.utf8.count == name.utf8.count || !member.key.allSatisfy(\.isASCII) {
            if member.key.lowercased() == name.lowercased() { return member.value }
        }
        return nil
    }

    @inline(__always)
    private static func join(_ prefix: String, _ name: String) -> String {
        prefix.isEmpty ? name : prefix + "." + name
    }
}
