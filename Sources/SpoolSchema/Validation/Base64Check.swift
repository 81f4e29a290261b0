/// Whether a BYTES value is base64 as BigQuery decodes it: the standard or URL-safe alphabet,
/// padding optional but correct when present, no whitespace.
enum Base64Check {
    /// The decoded length, or nil when the text is not base64.
    static func decodedLength(_ text: String) -> Int? {
        var text = text
        return text.withUTF8 { bytes -> Int? in
            var dataCount = 0
            var padding = 0
            for byte in bytes {
                if byte == UInt8(ascii: "=") {
                    padding += 1
                    continue
                }
                guard padding == 0 else { return nil }
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "-"),
                    UInt8(ascii: "_"):
                    dataCount += 1
                default:
                    return nil
                }
            }
            guard padding <= 2, dataCount % 4 != 1 else { return nil }
            if padding > 0 {
                guard (dataCount + padding) % 4 == 0 else { return nil }
            }
            return dataCount / 4 * 3 + max(0, dataCount % 4 - 1)
        }
    }
}
