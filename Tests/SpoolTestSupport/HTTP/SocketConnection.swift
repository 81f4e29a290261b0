#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered reads and complete writes on one connected socket.
struct SocketConnection {
    let descriptor: Int32
    private var pending: [UInt8] = []
    private var start = 0

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Reads up to and including the blank line that ends a request head; nil on EOF or error.
    mutating func readHead(limit: Int = 256 * 1024) -> [UInt8]? {
        compact()
        var searchFrom = start
        while true {
            if pending.count - start >= 4 {
                var index = max(start, searchFrom - 3)
                while index + 3 < pending.count {
                    if pending[index] == 13, pending[index + 1] == 10, pending[index + 2] == 13, pending[index + 3] == 10 {
                        let head = Array(pending[start..<(index + 4)])
                        start = index + 4
                        return head
                    }
                    index += 1
                }
                searchFrom = pending.count
            }
            guard pending.count - start < limit, fill() else { return nil }
        }
    }

    /// Reads exactly `count` bytes; nil on EOF or error.
    mutating func read(count: Int) -> [UInt8]? {
        while pending.count - start < count {
            guard fill() else { return nil }
        }
        let bytes = Array(pending[start..<(start + count)])
        start += count
        return bytes
    }

    /// Reads one CRLF-terminated line without its CRLF; nil on EOF or error.
    mutating func readLine(limit: Int = 8192) -> String? {
        while true {
            if let index = pending[start...].firstIndex(of: 10) {
                var end = index
                if end > start, pending[end - 1] == 13 { end -= 1 }
                let line = String(decoding: pending[start..<end], as: UTF8.self)
                start = index + 1
                return line
            }
            guard pending.count - start < limit, fill() else { return nil }
        }
    }

    /// Writes all of `bytes`; false when the peer went away.
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                send(descriptor, buffer.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Drops consumed bytes; only called where no search position into `pending` is held.
    private mutating func compact() {
        if start > 0 {
            pending.removeFirst(start)
            start = 0
        }
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let received = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if received < 0, errno == EINTR { continue }
            guard received > 0 else { return false }
            pending.append(contentsOf: chunk[0..<received])
            return true
        }
    }
}
