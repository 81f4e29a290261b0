@testable import BigQueryREST
import Testing

@Suite struct GzipTests {
    @Test func compressedBytesDecompressToTheOriginal() throws {
        let original = Array(String(repeating: #"{"event":"page_view","user_id":"u-1"}"#, count: 2000).utf8)
        let compressed = gzip(original)
        #expect(compressed.count < original.count / 5)
        #expect(compressed.prefix(2) == [0x1F, 0x8B])
        #expect(try gunzip(compressed) == original)
    }

    @Test func emptyInputRoundTrips() throws {
        #expect(try gunzip(gzip([])) == [])
    }

    @Test func concatenatedMembersDecompressAsOne() throws {
        let joined = gzip(Array("first ".utf8)) + gzip(Array("second".utf8))
        #expect(try gunzip(joined) == Array("first second".utf8))
    }

    @Test func truncatedDataIsRejected() {
        let compressed = gzip(Array(String(repeating: "abc", count: 1000).utf8))
        #expect(throws: GzipError.self) { try gunzip(Array(compressed.prefix(compressed.count / 2))) }
    }

    @Test func dataThatIsNotGzipIsRejected() {
        #expect(throws: GzipError.self) { try gunzip(Array("<html>not gzip</html>".utf8)) }
    }

    @Test func outputBeyondTheLimitIsRejected() {
        let compressed = gzip([UInt8](repeating: 0, count: 1 << 20))
        #expect(throws: GzipError.self) { try gunzip(compressed, maximumSize: 1000) }
    }
}
