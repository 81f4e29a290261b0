import Foundation

// spool-bench: programs that print figures (the last line of each is one JSON object). Run through scripts/bench.
let arguments = Array(CommandLine.arguments.dropFirst())
func value(_ name: String, default fallback: Int) -> Int {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let number = Int(arguments[index + 1]) else { return fallback }
    return number
}

func text(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

do {
    switch arguments.first {
    case "append":
        try AppendBenchmark.run(count: value("--count", default: 100_000), drainRate: value("--rate", default: 5000))
    case "full":
        try AppendBenchmark.runFull(count: value("--count", default: 8_000))
    case "drain":
        let emulator = ProcessInfo.processInfo.environment["SPOOL_EMULATOR_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let grpc = ProcessInfo.processInfo.environment["SPOOL_EMULATOR_GRPC_URL"].flatMap { $0.isEmpty ? nil : $0 }
        try DrainBenchmark.run(
            rows: value("--rows", default: 200_000), backlog: value("--backlog", default: 1_000_000), rounds: value("--rounds", default: 3),
            emulator: emulator, emulatorGRPC: grpc
        )
    case "backlog":
        try BacklogBenchmark.run(
            rows: value("--rows", default: 3_000_000), smallRows: value("--small-rows", default: 1_000),
            idleSeconds: value("--idle-seconds", default: 30), appends: value("--appends", default: 100_000)
        )
    case "encode":
        try EncodeBenchmark.run(rows: value("--rows", default: 500_000))
    case "idle-uploader":
        guard let db = text("--db"), let endpoint = text("--endpoint") else { throw BenchError("idle-uploader needs --db and --endpoint") }
        try BacklogBenchmark.runIdleUploader(path: db, endpoint: endpoint)
    default:
        FileHandle.standardError.write(Data("usage: spool-bench append [--count N] [--rate EVENTS_PER_S] | full [--count N] | drain [--rows N] [--backlog N] [--rounds N] | backlog [--rows N] [--small-rows N] [--idle-seconds S] [--appends N] | encode [--rows N]\n".utf8))
        exit(64)
    }
} catch {
    FileHandle.standardError.write(Data("spool-bench: \(error)\n".utf8))
    exit(1)
}
