import Foundation
import Spool
import SpoolTestSupport
import Testing

/// README "Operating safely": what spoolctl never does, through the real binary and real files.
@Suite("spoolctl operating safely")
struct OperatingSafelyTests {
    /// A file that must not be taken for a spool.
    enum Stranger: String, CaseIterable, CustomTestStringConvertible {
        case emptyFile, textFile, otherSQLiteDatabase

        var testDescription: String { rawValue }

        /// Writes the file at `path`.
        func write(at path: String) throws {
            switch self {
            case .emptyFile:
                #expect(FileManager.default.createFile(atPath: path, contents: Data()))
            case .textFile:
                try Data("user_id,query\nu1,oat milk\n".utf8).write(to: URL(fileURLWithPath: path))
            case .otherSQLiteDatabase:
                // Another program's database, in WAL mode and with a user_version of its own, as many have.
                let sql = "PRAGMA journal_mode=WAL; CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep me'); PRAGMA user_version = 3;"
                let result = try ChildProcess.run("/usr/bin/sqlite3", [path, sql])
                #expect(result.code == 0, "sqlite3: \(result.stderr)")
            }
        }

        /// What spoolctl says about it.
        var verdict: String {
            self == .textFile ? "is not a SQLite database, so not a spool; it was left untouched" : "not a spool"
        }
    }

    @Test("every command refuses a file that is not a spool with exit 1 naming it, and leaves it byte for byte, with no -wal or -shm", arguments: Stranger.allCases)
    func strangerFilesAreLeftUntouched(stranger: Stranger) throws {
        let directory = try TemporaryDirectory(prefix: "spoolctl-stranger")
        let path = directory.file("data.db").path
        try stranger.write(at: path)
        let configuration = directory.file("spool.json").path
        try Data(#"{"spool": {"path": "data.db"}}"#.utf8).write(to: URL(fileURLWithPath: configuration))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let listing = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(listing == ["data.db", "spool.json"])

        let commands: [[String]] = [
            ["status"], ["status", "--format", "json"], ["dead-letters", "list"], ["dead-letters", "show", "1"],
            ["dead-letters", "requeue"], ["dead-letters", "requeue", "1"], ["dead-letters", "purge", "--yes"],
            ["drain", "--credentials", "none"], ["migrate"],
        ]
        for command in commands {
            let result = try Spoolctl.run(command + ["--db", path])
            #expect(result.code == 1, "\(command): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains(path) && result.stderr.contains(stranger.verdict), "\(command): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes, "\(command) changed the file")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing, "\(command) left files behind")
        }

        let doctor = try Spoolctl.run(["doctor", "--config", configuration])
        #expect(doctor.code == 2)
        let spoolLine = doctor.stdout.split(separator: "\n").first { $0.contains(path) }.map(String.init) ?? ""
        #expect(spoolLine.hasPrefix("✗ spool \(path) cannot be opened") && spoolLine.contains(stranger.verdict), "\(doctor.stdout)")
        #expect(!doctor.stdout.contains("drain"), "doctor advises no command that would write to it")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == listing)
    }

    @Test("a spool of an older version is refused by every other command, naming spoolctl migrate, which alone migrates it")
    func olderSpoolIsMigratedOnlyOnRequest() throws {
        let fixture = try SpoolFixture()
        // Version 1 of the schema, made the way an older Spool made it.
        let migrations = BuiltProducts.repositoryRoot.appendingPathComponent("migrations")
        let first = try String(contentsOf: migrations.appendingPathComponent("0001_outbox.sql"), encoding: .utf8)
        let latest = try FileManager.default.contentsOfDirectory(atPath: migrations.path).filter { $0.hasSuffix(".sql") }.count
        let made = try ChildProcess.run("/usr/bin/sqlite3", [fixture.path, "PRAGMA journal_mode=WAL;\n" + first + "\nPRAGMA user_version = 1;"])
        #expect(made.code == 0, "sqlite3: \(made.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.path))

        for command in [["status"], ["dead-letters", "list"], ["dead-letters", "purge", "--yes"], ["dead-letters", "requeue"], ["drain", "--credentials", "none"]] {
            let result = try Spoolctl.run(command + ["--db", fixture.path])
            #expect(result.code == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("is at schema version 1"), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("spoolctl migrate --db \(fixture.path)"), "\(command): \(result.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: fixture.path)) == bytes, "\(command) changed the file")
            #expect(!FileManager.default.fileExists(atPath: fixture.path + "-wal"))
        }

        let migrated = try Spoolctl.run(["migrate", "--db", fixture.path])
        #expect(migrated.code == 0, "\(migrated.stderr)")
        #expect(migrated.stdout == "\(fixture.path): migrated from schema version 1 to \(latest)\n")
        let status = try Spoolctl.run(["status", "--db", fixture.path, "--format", "json"])
        #expect(status.code == 0, "\(status.stderr)")
        let database = (try Spoolctl.json(status.stdout) as? [String: Any])?["database"] as? [String: Any]
        #expect(database?["schemaVersion"] as? Int == latest)
        let again = try Spoolctl.run(["migrate", "--db", fixture.path])
        #expect(again.stdout == "\(fixture.path): already at schema version \(latest)\n")
    }

    @Test("purge and requeue of ids that do not exist, and a --table the spool never saw, exit 1 and change nothing")
    func mistakesAreNotSuccess() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 0, bad: 2)
        try fixture.append(3, to: "user_search_events", prefix: "p")
        let ids = try deadLetterIds(fixture)
        #expect(ids.count == 2)

        let mistakes: [[String]] = [
            ["dead-letters", "purge", "--yes", "999999"],
            ["dead-letters", "purge", "--yes", String(ids[0]), "999999"],
            ["dead-letters", "requeue", "999999"],
            ["dead-letters", "requeue", String(ids[0]), "999999"],
        ]
        for command in mistakes {
            let result = try Spoolctl.run(command + ["--db", fixture.path])
            #expect(result.code == 1, "\(command): \(result.stdout) \(result.stderr)")
            #expect(result.stderr.contains("no dead letter with id 999999 in \(fixture.path)"), "\(command): \(result.stderr)")
            #expect(result.stderr.contains("nothing was changed"))
            #expect(try deadLetterIds(fixture) == ids, "\(command) changed the dead letters")
        }
        for command in [["dead-letters", "purge", "--yes"], ["dead-letters", "requeue"]] {
            let result = try Spoolctl.run(command + ["--db", fixture.path, "--table", "user_serch_events"])
            #expect(result.code == 1, "\(command): \(result.stderr)")
            #expect(result.stderr.contains("has no rows, dead letters or state for table user_serch_events"), "\(result.stderr)")
            #expect(try deadLetterIds(fixture) == ids)
        }

        // drain --table for a table with no rows and no state: nothing is sent (the recorded endpoint is gone anyway).
        let drain = try Spoolctl.run(["drain", "--db", fixture.path, "--credentials", "none", "--table", "user_serch_events"])
        #expect(drain.code == 1, "\(drain.stdout) \(drain.stderr)")
        #expect(drain.stderr.contains("has no rows, dead letters or state for user_serch_events (known: user_search_events): nothing to drain"), "\(drain.stderr)")
        #expect(try fixture.pendingInsertIds() == ["p-0", "p-1", "p-2"])
    }

    @Test("requeue without a schema still refuses rows the outbox would never deliver: not JSON, not an object, a bad table name")
    func requeueRevalidatesWithoutSchema() throws {
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 0, bad: 1)
        // Rows an older version, or a hand-written INSERT, could have left in dead_letters.
        let insert = """
            INSERT INTO dead_letters (table_name, insert_id, payload, reason, attempts, created_at, dead_lettered_at) VALUES
              ('user_search_events', 'not-json', '{"event_id": "x",', 'invalid', 1, '2026-11-26T10:00:00Z', '2026-11-26T10:00:00Z'),
              ('user_search_events', 'array', '[1, 2]', 'invalid', 1, '2026-11-26T10:00:00Z', '2026-11-26T10:00:00Z'),
              ('user search; DROP', 'bad-table', '{"event_id": "y"}', 'invalid', 1, '2026-11-26T10:00:00Z', '2026-11-26T10:00:00Z');
            """
        let inserted = try ChildProcess.run("/usr/bin/sqlite3", [fixture.path, insert])
        #expect(inserted.code == 0, "sqlite3: \(inserted.stderr)")

        let result = try Spoolctl.run(["dead-letters", "requeue", "--db", fixture.path])
        #expect(result.code == 2, "\(result.stdout) \(result.stderr)")
        #expect(result.stdout.contains("requeued 1 rows to the outbox with their original insert ids"))
        #expect(result.stdout.contains("3 rows stay dead letters"))
        #expect(result.stdout.contains("user_search_events: invalidJSON at byte"), "\(result.stdout)")
        #expect(result.stdout.contains("user_search_events: notAnObject"))
        #expect(result.stdout.contains("user search; DROP: invalidTableName"))
        #expect(try fixture.pendingInsertIds() == ["bad-0"])
        let staying = try ChildProcess.run("/usr/bin/sqlite3", ["-readonly", fixture.path, "SELECT insert_id FROM dead_letters ORDER BY id"])
        #expect(staying.stdout == "not-json\narray\nbad-table\n")
    }

    @Test("a second signal stops drain at once with 128 + its number and gives up the lease: the next drain starts without waiting", arguments: [SIGINT, SIGTERM])
    func secondSignalReleasesTheLease(signal: Int32) throws {
        // BigQuery answers the first request only after 20 s (longer than the test waits), then at once.
        let answered = LockedValue(0)
        let server = try LoopbackHTTPServer { _ in
            answered.update { $0 += 1 }
            let first = answered.value == 1
            let ok = StubReply.json(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#)
            return first ? .delay(.seconds(20), then: ok) : ok
        }
        defer { server.stop() }
        let fixture = try SpoolFixture()
        let appended = try fixture.append(60, to: "user_search_events").ids
        let configuration = try fixture.writeConfiguration([
            "spool": ["path": "spool.db"],
            "destination": ["project": "test-project", "dataset": "analytics", "endpoint": server.baseURL],
            "uploader": ["credentials": "none", "batchRows": 20, "requestTimeoutSeconds": 30, "leaseSeconds": 60],
        ])

        let child = try Spoolctl.launch(["drain", "--config", configuration])
        let deadline = ContinuousClock.now + .seconds(30)
        while server.requests.isEmpty && ContinuousClock.now < deadline && child.isRunning {
            usleep(5_000)
        }
        #expect(!server.requests.isEmpty, "drain sent its first request")
        let spool = try fixture.open()
        defer { spool.close() }
        let holder = try #require(try spool.outbox.lease()?.holder)
        #expect(holder.contains(":\(child.pid):"), "the drain holds the lease: \(holder)")

        child.kill(signal: signal)
        let announced = ContinuousClock.now + .seconds(10)
        while !child.standardError.contains("interrupted: stopping after the batch in flight") && ContinuousClock.now < announced {
            usleep(5_000)
        }
        #expect(child.isRunning, "the first signal waits for the batch in flight")
        child.kill(signal: signal)
        child.waitForExit()
        #expect(child.exitCode == 128 + signal, "\(child.standardError)")
        #expect(child.standardError.contains("stopping now"))
        #expect(try spool.outbox.lease() == nil, "the lease was given up")
        #expect(try fixture.pendingInsertIds() == appended, "the batch in flight stays pending")

        // The lease lasts 60 s: without the release, this drain would be refused.
        let next = try Spoolctl.run(["drain", "--config", configuration])
        #expect(next.code == 0, "\(next.stdout) \(next.stderr)")
        #expect(try fixture.pendingInsertIds().isEmpty)
    }

    private func deadLetterIds(_ fixture: SpoolFixture) throws -> [Int] {
        let result = try Spoolctl.run(["dead-letters", "list", "--format", "json", "--db", fixture.path])
        #expect(result.code == 0, "\(result.stderr)")
        return (try Spoolctl.json(result.stdout) as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }.sorted()
    }
}
