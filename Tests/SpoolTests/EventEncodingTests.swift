import Foundation
@testable import Spool
import Testing

/// The one-pass `RowEncoder` must write what `JSONEncoder` (configured as Spool's fallback) writes, value for value.
@Suite("Event encoding")
struct EventEncodingTests {
    struct Properties: Codable, Equatable {
        var source: String
        var tags: [String]
        var weights: [String: Double]
    }

    enum Kind: String, Codable {
        case search, click
    }

    struct Everything: Encodable {
        var text = "plain, \"quoted\", back\\slash, a/b, new\nline, tab\t, bell\u{7}, é, 😀"
        var bool = true
        var int = -42
        var int8: Int8 = -8
        var int64 = Int64.min
        var uint64 = UInt64.max
        var double = 1.0
        var fraction = 0.1
        var large = 1e20
        var small = 1e-7
        var negativeZero = -0.0
        var float: Float = 0.1
        var infinity = Double.infinity
        var nan = Double.nan
        var decimal = Decimal(string: "12.340")!
        var date = Date(timeIntervalSince1970: 1_764_150_000.123456)
        var data = Data([0, 1, 2, 250])
        var url = URL(string: "https://example.com/a?b=c")!
        var uuid = UUID(uuidString: "6BA7B810-9DAD-11D1-80B4-00C04FD430C8")!
        var kind = Kind.click
        var missing: String? = nil
        var present: String? = "here"
        var numbers = [1, 2, 3]
        var empty: [Int] = []
        var nested = Properties(source: "web", tags: ["a", "b"], weights: ["x": 0.5])
        var list = [Properties(source: "1", tags: [], weights: [:]), Properties(source: "2", tags: ["z"], weights: ["y": 2])]
        var matrix = [[1, 2], [], [3]]
        var optionalNested: Properties? = nil
        var nothing = Nothing()
    }

    /// Encodes nothing at all: JSONEncoder writes `{}`.
    struct Nothing: Encodable {
        func encode(to encoder: any Encoder) throws {}
    }

    /// A hand-written encode(to:) with nested containers, a second request for the same container, and nil.
    struct HandWritten: Encodable {
        enum Keys: String, CodingKey { case id, location, lat, lon, steps, none }
        func encode(to encoder: any Encoder) throws {
            var top = encoder.container(keyedBy: Keys.self)
            try top.encode("h1", forKey: .id)
            var location = top.nestedContainer(keyedBy: Keys.self, forKey: .location)
            try location.encode(52.5, forKey: .lat)
            try location.encode(13.4, forKey: .lon)
            var steps = top.nestedUnkeyedContainer(forKey: .steps)
            try steps.encode("one")
            var inner = steps.nestedContainer(keyedBy: Keys.self)
            try inner.encode(2, forKey: .id)
            var again = encoder.container(keyedBy: Keys.self)
            try again.encodeNil(forKey: .none)
        }
    }

    /// Writes to a container after leaving it: only a tree-building encoder can do that.
    struct Interleaved: Encodable {
        enum Keys: String, CodingKey { case a, b, c }
        func encode(to encoder: any Encoder) throws {
            var top = encoder.container(keyedBy: Keys.self)
            var first = top.nestedContainer(keyedBy: Keys.self, forKey: .a)
            var second = top.nestedContainer(keyedBy: Keys.self, forKey: .b)
            try second.encode(2, forKey: .c)
            try first.encode(1, forKey: .c)
        }
    }

    /// Uses superEncoder, which the one-pass writer hands to JSONEncoder.
    class Base: Encodable {
        var base = "b"
    }

    final class Derived: Base {
        var derived = "d"
        enum Keys: String, CodingKey { case derived }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(derived, forKey: .derived)
            try super.encode(to: container.superEncoder())
        }
    }

    private func json(_ text: String) throws -> NSObject {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject)
    }

    private func foundation<Value: Encodable>(_ value: Value) throws -> String {
        String(decoding: try EventEncoding.foundationEncoder().encode(value), as: UTF8.self)
    }

    @Test("every kind of value is written as JSONEncoder writes it")
    func matchesJSONEncoder() throws {
        let fast = try EventEncoding.encode(Everything())
        let reference = try foundation(Everything())
        #expect(try json(fast) == json(reference), "\(fast)\nvs\n\(reference)")
        // Byte-level details the comparison of parsed values cannot see.
        #expect(fast.contains(#""double":1,"#))
        #expect(fast.contains(#""negativeZero":-0,"#))
        #expect(fast.contains(#""text":"plain, \"quoted\", back\\slash, a/b, new\nline, tab\t, bell\u0007, é, 😀""#))
        #expect(fast.contains(#""infinity":"Infinity","nan":"NaN""#))
        #expect(fast.contains(#""date":"2025-11-26T09:40:00.123456Z""#))
        #expect(fast.contains(#""nothing":{}"#))
        #expect(!fast.contains("missing"))
    }

    @Test("fields come out in the order they are encoded")
    func keepsFieldOrder() throws {
        let fast = try EventEncoding.encode(Properties(source: "s", tags: ["t"], weights: [:]))
        #expect(fast == #"{"source":"s","tags":["t"],"weights":{}}"#)
    }

    @Test("hand-written encode(to:) with nested containers matches JSONEncoder")
    func handWritten() throws {
        let fast = try EventEncoding.encode(HandWritten())
        #expect(fast == #"{"id":"h1","location":{"lat":52.5,"lon":13.4},"steps":["one",{"id":2}],"none":null}"#)
        #expect(try json(fast) == json(foundation(HandWritten())))
    }

    @Test("out-of-order container use and superEncoder fall back to JSONEncoder, with the same result")
    func fallsBack() throws {
        #expect(throws: RowEncoder.Unsupported.self) { try RowEncoder(date: EventEncoding.timestampText).encode(Interleaved()) }
        #expect(try json(EventEncoding.encode(Interleaved())) == json(#"{"a":{"c":1},"b":{"c":2}}"#))
        #expect(throws: RowEncoder.Unsupported.self) { try RowEncoder(date: EventEncoding.timestampText).encode(Derived()) }
        #expect(try json(EventEncoding.encode(Derived())) == json(foundation(Derived())))
    }

    @Test("timestamps: microseconds truncated, dates before 1970 and leap days right", arguments: [
        (0.0, "1970-01-01T00:00:00.000000Z"),
        (-0.000001, "1969-12-31T23:59:59.999999Z"),
        (951_782_400.5, "2000-02-29T00:00:00.500000Z"),
        (-2_208_988_800, "1900-01-01T00:00:00.000000Z"),
        (253_402_300_799.5, "9999-12-31T23:59:59.500000Z"),
        (1.0000019, "1970-01-01T00:00:01.000001Z"),
    ])
    func timestamps(seconds: Double, expected: String) {
        #expect(EventEncoding.timestampText(Date(timeIntervalSince1970: seconds)) == expected)
    }

    @Test("the calendar arithmetic agrees with gmtime for every day from 1900 to 2200")
    func calendarMatchesGmtime() {
        var mismatches = 0
        for day in Int64(-25_567)...Int64(84_006) {
            var time = time_t(day * 86_400)
            var parts = tm()
            gmtime_r(&time, &parts)
            let (year, month, dayOfMonth) = EventEncoding.civilDate(daysSinceEpoch: day)
            if year != Int64(parts.tm_year) + 1900 || month != Int64(parts.tm_mon) + 1 || dayOfMonth != Int64(parts.tm_mday) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test("an encoding error names the coding path, never the value")
    func encodingErrorsNamePath() throws {
        struct Refuses: Encodable {
            func encode(to encoder: any Encoder) throws {
                throw EncodingError.invalidValue("secret-value", .init(codingPath: [], debugDescription: "secret-value refused"))
            }
        }
        struct Holder: Encodable {
            var inner = Refuses()
        }
        let error = #expect(throws: SpoolError.self) { try EventEncoding.encode(Holder()) }
        #expect(error?.code == .invalidJSON)
        #expect(error?.message.contains("secret") == false)
    }
}
