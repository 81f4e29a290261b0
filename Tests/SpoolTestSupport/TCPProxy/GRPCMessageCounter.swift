/// Finds the gRPC messages in one direction of a plaintext HTTP/2 connection (h2c with prior knowledge, as gRPC
/// clients speak to a loopback server): walks the frames, and in each stream's DATA splits the length-prefixed
/// messages. Headers (HPACK) are not decoded: which method a stream calls is not needed to count its messages.
struct GRPCMessageCounter {
    /// One gRPC message that ended in the bytes fed so far.
    struct Message: Equatable {
        var stream: UInt32
        /// The message without its 5-byte prefix (protobuf, or compressed protobuf).
        var body: [UInt8]
    }

    /// The client's connection preface ("PRI * HTTP/2.0…"), skipped before the first frame.
    private var prefaceLeft: Int
    private var pending: [UInt8] = []
    /// Each stream's message in progress: its prefix bytes so far, then its body so far and how many bytes are still due.
    private var partial: [UInt32: (prefix: [UInt8], body: [UInt8], bodyLeft: Int)] = [:]

    /// - Parameter clientSide: the bytes are a client's (they begin with the 24-byte connection preface).
    init(clientSide: Bool) {
        prefaceLeft = clientSide ? 24 : 0
    }

    /// What the bytes fed last held: messages that ended in them, and streams this side ended (END_STREAM on a
    /// HEADERS or DATA frame, or RST_STREAM), each in order.
    struct Fed {
        var messages: [Message] = []
        var endedStreams: [UInt32] = []
        /// The streams among `endedStreams` that this side reset (RST_STREAM: the call abandoned, e.g. timed out).
        var resetStreams: [UInt32] = []
    }

    /// Takes the next bytes of the direction.
    mutating func feed(_ bytes: ArraySlice<UInt8>) -> Fed {
        var bytes = bytes
        if prefaceLeft > 0 {
            let skipped = min(prefaceLeft, bytes.count)
            prefaceLeft -= skipped
            bytes = bytes.dropFirst(skipped)
        }
        pending.append(contentsOf: bytes)
        var fed = Fed()
        var start = 0
        // A frame: 3-byte length, type, flags, 4-byte stream id (the top bit reserved), then the payload.
        while pending.count - start >= 9 {
            let length = Int(pending[start]) << 16 | Int(pending[start + 1]) << 8 | Int(pending[start + 2])
            guard pending.count - start >= 9 + length else { break }
            let type = pending[start + 3]
            let flags = pending[start + 4]
            let stream = (UInt32(pending[start + 5]) << 24 | UInt32(pending[start + 6]) << 16
                | UInt32(pending[start + 7]) << 8 | UInt32(pending[start + 8])) & 0x7FFF_FFFF
            var payload = pending[(start + 9)..<(start + 9 + length)]
            start += 9 + length
            // DATA (0) carries messages; END_STREAM (flag 1) on DATA or HEADERS (1), or RST_STREAM (3), ends a stream.
            if type == 0 {
                if flags & 0x8 != 0, let padding = payload.first {
                    // PADDED: a pad-length byte first, that many bytes of padding last.
                    payload = payload.dropFirst().dropLast(Int(padding))
                }
                fed.messages += data(payload, stream: stream)
            }
            if (type == 0 || type == 1) && flags & 0x1 != 0 || type == 3 {
                fed.endedStreams.append(stream)
                if type == 3 { fed.resetStreams.append(stream) }
                partial[stream] = nil
            }
        }
        pending.removeFirst(start)
        return fed
    }

    private mutating func data(_ payload: ArraySlice<UInt8>, stream: UInt32) -> [Message] {
        var payload = payload
        var messages: [Message] = []
        var state = partial[stream] ?? (prefix: [], body: [], bodyLeft: 0)
        while !payload.isEmpty {
            if state.prefix.count < 5 {
                // The prefix: a compressed flag and a 4-byte big-endian length.
                let taken = payload.prefix(5 - state.prefix.count)
                state.prefix += taken
                payload = payload.dropFirst(taken.count)
                guard state.prefix.count == 5 else { break }
                state.bodyLeft = state.prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            } else {
                let taken = payload.prefix(state.bodyLeft)
                state.body += taken
                state.bodyLeft -= taken.count
                payload = payload.dropFirst(taken.count)
            }
            if state.prefix.count == 5, state.bodyLeft == 0 {
                messages.append(Message(stream: stream, body: state.body))
                state = (prefix: [], body: [], bodyLeft: 0)
            }
        }
        partial[stream] = state
        return messages
    }
}
