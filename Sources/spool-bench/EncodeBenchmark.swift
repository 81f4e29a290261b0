import BigQueryStorageWrite
import Foundation
import SpoolSchema
import SpoolTestSupport

/// CPU per row of the Storage Write row encoding (a seed search event's JSON text → protobuf bytes against the
/// seed table's writer schema), beside two baselines measured in the same run on the same rows: parsing the JSON
/// alone, and local validation (`RowValidator.validate(json:)`, which every appended row already pays).
enum EncodeBenchmark {
    static func run(rows: Int) throws {
        guard let schema = try SeedSchemas.load()["user_search_events"] else { throw BenchError("no user_search_events schema") }
        let encoder = try ProtoRowEncoder(schema: schema)
        let validator = RowValidator(schema: schema)
        let events = (0..<1_000).map(seedEvent)
        var sink = 0

        func cpuMicrosecondsPerRow(_ body: (String) throws -> Int) rethrows -> Double {
            for event in events { sink &+= try body(event) }  // warm up
            let start = threadCPUNanoseconds()
            for index in 0..<rows { sink &+= try body(events[index % events.count]) }
            return Double(threadCPUNanoseconds() - start) / Double(rows) / 1_000
        }

        let parse = try cpuMicrosecondsPerRow { event in
            if case .object(let object) = try JSONParser.parse(event) { return object.count }
            return 0
        }
        let validate = cpuMicrosecondsPerRow { event in validator.validate(json: event) == nil ? 1 : 0 }
        let encode = try cpuMicrosecondsPerRow { event in try encoder.encode(event).count }
        let protobufBytes = try events.reduce(0) { $0 + (try encoder.encode($1).count) }
        let jsonBytes = events.reduce(0) { $0 + $1.utf8.count }

        print("rows: \(rows) seed search events, CPU time of one thread")
        print("parse JSON:      \(String(format: "%.2f", parse)) µs/row")
        print("validate:        \(String(format: "%.2f", validate)) µs/row")
        print("encode protobuf: \(String(format: "%.2f", encode)) µs/row (parse included)")
        print("bytes per row: JSON \(jsonBytes / events.count), protobuf \(protobufBytes / events.count)  (checksum \(sink))")
        printJSON([
            "rows": rows,
            "encode_cpu_us_per_row": encode,
            "parse_cpu_us_per_row": parse,
            "validate_cpu_us_per_row": validate,
            "encode_to_validate_ratio": encode / validate,
            "json_bytes_per_row": jsonBytes / events.count,
            "protobuf_bytes_per_row": protobufBytes / events.count,
        ])
    }
}
