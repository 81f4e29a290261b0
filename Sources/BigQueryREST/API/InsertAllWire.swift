import SpoolJSON

/// The insertAll request body and the reading of its answer. The body is built by appending bytes: each
/// row's JSON text goes in as it is, without being parsed or encoded again.
package enum InsertAllWire {
    package static func requestBody(
        rows: [InsertAllRow], skipInvalidRows: Bool, ignoreUnknownValues: Bool, templateSuffix: String?
    ) -> [UInt8] {
        var capacity = 160
        for row in rows {
            capacity += row.json.utf8.count + row.insertId.utf8.count + 24
        }
        var body: [UInt8] = []
        body.reserveCapacity(capacity)
        JSONText.append(#"{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":"#, to: &body)
        JSONText.append(skipInvalidRows ? "true" : "false", to: &body)
        JSONText.append(#","ignoreUnknownValues":"#, to: &body)
        JSONText.append(ignoreUnknownValues ? "true" : "false", to: &body)
        if let templateSuffix {
            JSONText.append(#","templateSuffix":"#, to: &body)
            JSONText.appendString(templateSuffix, to: &body)
        }
        JSONText.append(#","rows":["#, to: &body)
        for (position, row) in rows.enumerated() {
            if position > 0 {
                body.append(UInt8(ascii: ","))
            }
            JSONText.append(#"{"insertId":"#, to: &body)
            JSONText.appendString(row.insertId, to: &body)
            JSONText.append(#","json":"#, to: &body)
            var json = row.json
            json.withUTF8 { body.append(contentsOf: $0) }
            body.append(UInt8(ascii: "}"))
        }
        JSONText.append("]}", to: &body)
        return body
    }

    /// Reads a 2xx answer. Anything but a JSON object whose `insertErrors` (if present) name rows of this
    /// request is garbage: a half-read answer must never pass for "all rows stored".
    package static func parseSuccess(_ response: HTTPResponse, rowCount: Int) -> InsertAllResult {
        func garbage() -> InsertAllResult {
            .failed(.garbage(response, expected: "an insertAll response"))
        }
        guard let object = response.jsonObject else {
            return garbage()
        }
        guard let rawErrors = object["insertErrors"] else {
            return .response(status: response.status, insertErrors: [])
        }
        guard let entries = rawErrors.arrayValue else { return garbage() }
        var insertErrors: [InsertErrorEntry] = []
        insertErrors.reserveCapacity(entries.count)
        for entry in entries {
            guard let entry = entry.objectValue,
                let index = entry["index"]?.int64Value, (0..<Int64(rowCount)).contains(index),
                let protos = (entry["errors"] ?? .array([])).arrayValue
            else { return garbage() }
            var errors: [ErrorProto] = []
            errors.reserveCapacity(protos.count)
            for proto in protos {
                guard let proto = proto.objectValue else { return garbage() }
                errors.append(
                    ErrorProto(
                        reason: proto["reason"]?.stringValue ?? "",
                        location: proto["location"]?.stringValue ?? "",
                        message: proto["message"]?.stringValue ?? "",
                        debugInfo: proto["debugInfo"]?.stringValue
                    )
                )
            }
            insertErrors.append(InsertErrorEntry(index: Int(index), errors: errors))
        }
        return .response(status: response.status, insertErrors: insertErrors)
    }
}
