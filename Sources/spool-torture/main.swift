import Foundation
import Spool

// spool-torture: the child process of the crash, multi-process and soak tests. It appends events at a steady rate
// and prints `ack <event_id>` on stdout (flushed) after each append returns, so a parent that kills it with SIGKILL
// knows exactly which events were acknowledged. With --endpoint it also runs an uploader in the same process, on
// insertAll, or with --api storageWrite on the Storage Write API at --write-endpoint (tables still come from --endpoint).
//
// Usage: spool-torture --db PATH [--prefix P] [--rate EVENTS_PER_S] [--count N] [--table T]
//                      [--endpoint URL --project P --dataset D] [--api insertAll|storageWrite] [--write-endpoint URL]
//                      [--lease-seconds S] [--batch-rows N] [--no-append]
//                      [--max-pending-rows N]   (the spool's cap, policy reject: refused appends print `fail`)
struct Options {
    var db = ""
    var prefix = "e"
    var rate = 500
    var count = Int.max
    var table = "user_search_events"
    var endpoint: String?
    var project = "test-project"
    var dataset = "analytics"
    var api = DeliveryAPI.insertAll
    var writeEndpoint = Destination.defaultWriteEndpoint
    var leaseSeconds = 5
    var batchRows = 200
    var append = true
    var maxPendingRows: Int?

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--db": db = iterator.next() ?? ""
            case "--prefix": prefix = iterator.next() ?? prefix
            case "--rate": rate = iterator.next().flatMap(Int.init) ?? rate
            case "--count": count = iterator.next().flatMap(Int.init) ?? count
            case "--table": table = iterator.next() ?? table
            case "--endpoint": endpoint = iterator.next()
            case "--project": project = iterator.next() ?? project
            case "--dataset": dataset = iterator.next() ?? dataset
            case "--api":
                let name = iterator.next() ?? ""
                guard let chosen = DeliveryAPI(rawValue: name) else {
                    FileHandle.standardError.write(Data("spool-torture: --api must be insertAll or storageWrite (got \(name))\n".utf8))
                    exit(64)
                }
                api = chosen
            case "--write-endpoint": writeEndpoint = iterator.next() ?? writeEndpoint
            case "--lease-seconds": leaseSeconds = iterator.next().flatMap(Int.init) ?? leaseSeconds
            case "--batch-rows": batchRows = iterator.next().flatMap(Int.init) ?? batchRows
            case "--no-append": append = false
            case "--max-pending-rows": maxPendingRows = iterator.next().flatMap(Int.init)
            default:
                FileHandle.standardError.write(Data("spool-torture: unknown argument \(argument)\n".utf8))
                exit(64)
            }
        }
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
guard !options.db.isEmpty else {
    FileHandle.standardError.write(Data("usage: spool-torture --db PATH [--prefix P] [--rate N] [--count N] [--endpoint URL]\n".utf8))
    exit(64)
}
/// Unbuffered, so that every line reaches the parent before a SIGKILL can.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

let spool: Spool
do {
    var configuration = Spool.Configuration()
    configuration.maxPendingRows = options.maxPendingRows
    spool = try Spool(path: options.db, configuration: configuration)
} catch {
    FileHandle.standardError.write(Data("spool-torture: \(error)\n".utf8))
    exit(1)
}

if let endpoint = options.endpoint {
    var configuration = UploaderConfiguration()
    configuration.leaseDuration = .seconds(options.leaseSeconds)
    configuration.pollInterval = .milliseconds(100)
    configuration.requestTimeout = .seconds(5)
    configuration.connectTimeout = .seconds(2)
    configuration.initialBackoff = .milliseconds(200)
    configuration.maxBackoff = .seconds(2)
    configuration.batchRows = options.batchRows
    let destination = Destination(
        project: options.project, dataset: options.dataset, endpoint: endpoint, api: options.api, writeEndpoint: options.writeEndpoint
    )
    let uploader = try SpoolUploader(spool: spool, destination: destination, configuration: configuration)
    let thread = Thread {
        let done = DispatchSemaphore(value: 0)
        Task {
            try? await uploader.run()
            done.signal()
        }
        done.wait()
    }
    thread.start()
    say("uploader started")
}

if options.append {
    let interval = 1.0 / Double(max(options.rate, 1))
    let start = Date()
    var index = 0
    while index < options.count {
        let eventID = "\(options.prefix)-\(index)"
        let payload = #"{"event_id":"\#(eventID)","user_id":"u\#(index % 97)","query":"torture","response_time_ms":\#(index % 1000),"timestamp":"2026-11-26T10:00:00Z"}"#
        do {
            try spool.append(json: payload, to: options.table, insertId: eventID)
            say("ack \(eventID)")
        } catch {
            say("fail \(eventID) \(error.code)")
        }
        index += 1
        let due = start.addingTimeInterval(Double(index) * interval)
        let wait = due.timeIntervalSinceNow
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }
    say("done")
}
// With an uploader and nothing (more) to append, run until killed.
while options.endpoint != nil {
    Thread.sleep(forTimeInterval: 1)
}
