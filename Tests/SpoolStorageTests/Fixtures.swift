import CSQLite
import Foundation
import Synchronization
@testable import SpoolStorage

/// A fresh directory per test, removed when the test is done.
final class TestDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("spool-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String {
        url.appendingPathComponent(name).path
    }
}

func nowMillis() -> Int64 {
    Int64(Date().timeIntervalSince1970 * 1000)
}

func payload(_ index: Int) -> String {
    #"{"event_id":"e\#(index)","user_id":"u\#(index % 7)","query":"organic bananas","response_time_ms":\#(index % 900)}"#
}

/// Opens a spool file read-write with test-friendly defaults.
func openOutbox(_ path: String, configure: (inout Outbox.Options) -> Void = { _ in }) throws -> Outbox {
    var options = Outbox.Options()
    configure(&options)
    return try Outbox(path: path, options: options)
}

/// Runs raw SQL on a file through the C API, outside Spool (to set up or inspect files as another program would).
func rawSQLite(_ path: String, _ sql: String) throws -> [[String]] {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK, let handle else { throw SpoolError(.cannotOpen, "raw open failed") }
    defer { sqlite3_close(handle) }
    var rows: [[String]] = []
    var statement: OpaquePointer?
    var remaining = sql
    while !remaining.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        var tail: UnsafePointer<CChar>?
        let rc = remaining.withCString { sqlite3_prepare_v2(handle, $0, -1, &statement, &tail) }
        guard rc == SQLITE_OK else {
            throw SpoolError(.storage, String(cString: sqlite3_errmsg(handle)))
        }
        let consumed = remaining.withCString { base in tail.map { $0 - base } ?? remaining.utf8.count }
        remaining = String(remaining.utf8.dropFirst(consumed))!
        guard let statement else { continue }
        defer { sqlite3_finalize(statement) }
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw SpoolError(.storage, String(cString: sqlite3_errmsg(handle))) }
            rows.append((0..<sqlite3_column_count(statement)).map { column in
                sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "NULL"
            })
        }
    }
    return rows
}

func fileBytes(_ path: String) -> Data? {
    FileManager.default.contents(atPath: path)
}

func fileMode(_ path: String) -> Int? {
    (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
}

/// What concurrent appenders were told: the insert ids acknowledged, and the failures by code.
struct ConcurrentAppends {
    var acknowledged: [String] = []
    var failures: [SpoolError.Code: Int] = [:]
}

/// Appends `rowsEach` rows from each of `threads` threads of their own, all at once (concurrentPerform would run only
/// as many as there are cores: too few for appends to queue up and share transactions).
func appendConcurrently(_ outbox: Outbox, threads: Int, rowsEach: Int) -> ConcurrentAppends {
    let outcomes = Mutex(ConcurrentAppends())
    let done = DispatchGroup()
    for thread in 0..<threads {
        done.enter()
        Thread {
            for index in 0..<rowsEach {
                let id = "t\(thread)-\(index)"
                do throws(SpoolError) {
                    _ = try outbox.append(table: "t", insertId: id, payload: payload(index), now: 0)
                    outcomes.withLock { $0.acknowledged.append(id) }
                } catch {
                    outcomes.withLock { $0.failures[error.code, default: 0] += 1 }
                }
            }
            done.leave()
        }.start()
    }
    done.wait()
    return outcomes.withLock { $0 }
}

/// A spool file at `path` as an older Spool left it: the migrations up to `version` and `PRAGMA user_version`.
func spoolFile(_ path: String, atVersion version: Int) throws {
    for migration in Migration.embedded where migration.version <= version {
        _ = try rawSQLite(path, migration.sql)
    }
    _ = try rawSQLite(path, "PRAGMA user_version = \(version)")
}
