/// A syntactic check of GEOGRAPHY values: WKT (`POINT(1 2)`, `POLYGON EMPTY` …), WKB as hex, or a
/// GeoJSON geometry object. BigQuery also checks the geometry itself (closed rings, no crossing
/// edges); those verdicts are left to BigQuery.
enum GeographyCheck {
    private static let wktKeywords: Set<String> = [
        "POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION",
    ]
    private static let geoJSONTypes: Set<String> = [
        "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection",
    ]

    static func isValid(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: " \t\n\r")
        guard let first = trimmed.first else { return false }
        if first == "{" {
            return isGeoJSON(trimmed)
        }
        if first.isHexDigit, isWKBHex(trimmed) {
            return true
        }
        return isWKT(trimmed)
    }

    private static func isGeoJSON(_ text: String) -> Bool {
        guard case .object(let object)? = try? JSONParser.parse(text), case .string(let type)? = object["type"] else {
            return false
        }
        return geoJSONTypes.contains(type)
    }

    private static func isWKBHex(_ text: String) -> Bool {
        text.utf8.count >= 10 && text.utf8.count % 2 == 0 && text.allSatisfy(\.isHexDigit)
            && (text.hasPrefix("00") || text.hasPrefix("01"))
    }

    private static func isWKT(_ text: String) -> Bool {
        let keyword = text.prefix { $0.isLetter }.uppercased()
        guard wktKeywords.contains(keyword) else { return false }
        var rest = text.dropFirst(keyword.count).drop { $0 == " " }
        for dimension in ["ZM", "Z", "M"] where rest.uppercased().hasPrefix(dimension) && !rest.uppercased().hasPrefix("EMPTY") {
            rest = rest.dropFirst(dimension.count).drop { $0 == " " }
            break
        }
        if rest.uppercased() == "EMPTY" {
            return true
        }
        guard rest.first == "(", rest.last == ")" else { return false }
        var depth = 0
        for character in rest {
            switch character {
            case "(":
                depth += 1
            case ")":
                depth -= 1
                if depth < 0 { return false }
            case "0"..."9", ".", "-", "+", "e", "E", ",", " ", "\t", "\n":
                continue
            default:
                // Nested geometry names inside a GEOMETRYCOLLECTION, and EMPTY members.
                guard character.isLetter, keyword == "GEOMETRYCOLLECTION" || keyword.hasPrefix("MULTI") else { return false }
            }
        }
        return depth == 0
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let isTrimmed: (Character) -> Bool = { set.contains($0) }
        guard let start = firstIndex(where: { !isTrimmed($0) }), let end = lastIndex(where: { !isTrimmed($0) }) else {
            return ""
        }
        return String(self[start...end])
    }
}
