import Spool

/// The schema `tables create --apply-additive` sends with tables.patch: BigQuery replaces the whole schema with the
/// patch's, so it must hold every live column as it is, with the schema file's new NULLABLE/REPEATED columns
/// appended (inside RECORDs too).
enum ProvisioningSchemaMerge {
    static func merged(remote: [FieldSchema], local: [FieldSchema]) -> [FieldSchema] {
        var localByName: [String: FieldSchema] = [:]
        for field in local { localByName[field.name.lowercased()] = field }
        var result: [FieldSchema] = []
        var seen: Set<String> = []
        for var field in remote {
            let key = field.name.lowercased()
            seen.insert(key)
            if field.type.kind == .record, let counterpart = localByName[key], counterpart.type.kind == .record {
                field.fields = merged(remote: field.fields, local: counterpart.fields)
            }
            result.append(field)
        }
        for field in local where !seen.contains(field.name.lowercased()) {
            result.append(field)
        }
        return result
    }
}
