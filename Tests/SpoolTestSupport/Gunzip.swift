import CZlib

/// Decodes a gzip body sent with `Content-Encoding: gzip`; nil when it is not valid gzip.
package func gunzipBody(_ bytes: [UInt8], maximumSize: Int = 256 << 20) -> [UInt8]? {
    var buffer = spool_buffer()
    defer { spool_buffer_free(&buffer) }
    let status = bytes.withUnsafeBufferPointer { input in
        spool_gunzip(input.baseAddress, input.count, maximumSize, &buffer)
    }
    guard status == Z_OK else { return nil }
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
}

/// gzip-compresses a stub's answer body.
package func gzipBody(_ bytes: [UInt8]) -> [UInt8] {
    var buffer = spool_buffer()
    defer { spool_buffer_free(&buffer) }
    let status = bytes.withUnsafeBufferPointer { input in
        spool_gzip(input.baseAddress, input.count, -1, &buffer)
    }
    precondition(status == Z_OK, "zlib deflate failed with status \(status)")
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
}
