import CZlib

/// Why a gzip body could not be decoded.
package struct GzipError: Error, CustomStringConvertible, Sendable {
    /// zlib's status code (Z_DATA_ERROR, Z_BUF_ERROR, Z_MEM_ERROR …).
    package let zlibStatus: Int32

    package var description: String {
        switch zlibStatus {
        case Z_DATA_ERROR: "gzip data is corrupt or truncated"
        case Z_BUF_ERROR: "gzip data expands beyond the allowed size"
        case Z_MEM_ERROR: "out of memory while decompressing gzip data"
        default: "zlib failed with status \(zlibStatus)"
        }
    }
}

/// Compresses `bytes` into one gzip member. Level 1 keeps CPU low on the upload path; JSON still shrinks ~5x.
package func gzip(_ bytes: [UInt8], level: Int32 = 1) -> [UInt8] {
    var buffer = spool_buffer()
    defer { spool_buffer_free(&buffer) }
    let status = bytes.withUnsafeBufferPointer { input in
        spool_gzip(input.baseAddress, input.count, level, &buffer)
    }
    // deflate only fails on out-of-memory or invalid parameters, neither of which a caller can handle.
    precondition(status == Z_OK, "zlib deflate failed with status \(status)")
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
}

/// Decompresses gzip (or zlib) data, refusing output larger than `maximumSize` bytes.
package func gunzip(_ bytes: [UInt8], maximumSize: Int = 256 << 20) throws(GzipError) -> [UInt8] {
    var buffer = spool_buffer()
    defer { spool_buffer_free(&buffer) }
    let status = bytes.withUnsafeBufferPointer { input in
        spool_gunzip(input.baseAddress, input.count, maximumSize, &buffer)
    }
    guard status == Z_OK else { throw GzipError(zlibStatus: status) }
    return Array(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
}
