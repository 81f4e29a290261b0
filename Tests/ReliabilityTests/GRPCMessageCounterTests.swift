@testable import SpoolTestSupport
import Testing

/// The HTTP/2 frame walk the TCP fault proxy counts gRPC messages with: it must find every message however the bytes
/// are split, or the proxy would cut the wrong request and aim kills at nothing.
@Suite("gRPC messages in HTTP/2 bytes")
struct GRPCMessageCounterTests {
    /// A frame: 3-byte length, type, flags, 4-byte stream id, payload.
    private func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32, _ payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF), type, flags]
            + [UInt8(stream >> 24 & 0x7F), UInt8(stream >> 16 & 0xFF), UInt8(stream >> 8 & 0xFF), UInt8(stream & 0xFF)] + payload
    }

    /// A gRPC message: not compressed, 4-byte big-endian length, body.
    private func message(_ body: [UInt8]) -> [UInt8] {
        [0, UInt8(body.count >> 24 & 0xFF), UInt8(body.count >> 16 & 0xFF), UInt8(body.count >> 8 & 0xFF), UInt8(body.count & 0xFF)] + body
    }

    private let preface = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)

    /// A client's bytes: the preface, SETTINGS, HEADERS, a message split over two DATA frames, a padded DATA frame with
    /// two messages on another stream, an empty message, then RST_STREAM on stream 3.
    private var clientBytes: [UInt8] {
        let big = [UInt8](repeating: 7, count: 300)
        let first = message(big)
        return preface
            + frame(type: 4, stream: 0, [0, 3, 0, 0, 0, 100])
            + frame(type: 1, flags: 4, stream: 1, [0x82, 0x86])
            + frame(type: 0, stream: 1, Array(first[0..<100]))
            + frame(type: 0, stream: 1, Array(first[100...]))
            + frame(type: 0, flags: 0x8, stream: 3, [5] + message(Array("cut-1".utf8)) + message(Array("cut-2".utf8)) + [0, 0, 0, 0, 0])
            + frame(type: 0, flags: 0x1, stream: 5, message([]))
            + frame(type: 3, stream: 3, [0, 0, 0, 8])
    }

    private func feed(_ bytes: [UInt8], chunk: Int) -> GRPCMessageCounter.Fed {
        var counter = GRPCMessageCounter(clientSide: true)
        var all = GRPCMessageCounter.Fed()
        var start = 0
        while start < bytes.count {
            let fed = counter.feed(bytes[start..<min(bytes.count, start + chunk)])
            all.messages += fed.messages
            all.endedStreams += fed.endedStreams
            all.resetStreams += fed.resetStreams
            start += chunk
        }
        return all
    }

    @Test("every message is found with its stream and body, however the bytes arrive", arguments: [1, 2, 7, 9, 64, 100_000])
    func messagesAcrossAnySplit(chunk: Int) {
        let fed = feed(clientBytes, chunk: chunk)
        #expect(fed.messages == [
            GRPCMessageCounter.Message(stream: 1, body: [UInt8](repeating: 7, count: 300)),
            GRPCMessageCounter.Message(stream: 3, body: Array("cut-1".utf8)),
            GRPCMessageCounter.Message(stream: 3, body: Array("cut-2".utf8)),
            GRPCMessageCounter.Message(stream: 5, body: []),
        ])
        #expect(fed.endedStreams == [5, 3])
        #expect(fed.resetStreams == [3])
    }

    @Test("a server's bytes have no preface: its first frame is read as a frame")
    func serverSideHasNoPreface() {
        var counter = GRPCMessageCounter(clientSide: false)
        let fed = counter.feed(ArraySlice(frame(type: 4, stream: 0, []) + frame(type: 0, stream: 1, message([1, 2, 3]))
            + frame(type: 1, flags: 0x5, stream: 1, [0x88])))
        #expect(fed.messages == [GRPCMessageCounter.Message(stream: 1, body: [1, 2, 3])])
        #expect(fed.endedStreams == [1])
        #expect(fed.resetStreams.isEmpty)
    }
}
