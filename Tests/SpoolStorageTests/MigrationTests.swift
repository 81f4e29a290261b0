import Foundation
import Testing
@testable import SpoolStorage

@Suite("Migrations")
struct MigrationTests {
    @Test("the embedded migrations equal migrations/*.sql (rerun scripts/generate-migrations when this fails)")
    func embeddedMigrationsMatchTheSQLFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let folder = root.appendingPathComponent("migrations")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files == Migration.embedded.map(\.name))
        for (file, migration) in zip(files, Migration.embedded) {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            let trimmedLines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            let embeddedLines = migration.sql.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(Array(trimmedLines.drop(while: \.isEmpty).reversed().drop(while: \.isEmpty).reversed()) == embeddedLines, "\(file) differs from its embedded copy")
            #expect(Int64(file.prefix(4)) == migration.version)
        }
        #expect(Migration.embedded.map(\.version) == Array(1...Int64(Migration.embedded.count)))
    }

    @Test("a new file is created at the latest version, in WAL mode, with mode 0600 for the file, -wal and -shm")
    func newFileIsMigratedPrivateAndInWALMode() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        _ = try outbox.append(table: "t", insertId: "i1", payload: payload(1), now: nowMillis())
        #expect(try rawSQLite(path, "PRAGMA user_version") == [["\(Migrator.latestVersion)"]])
        #expect(try rawSQLite(path, "PRAGMA journal_mode") == [["wal"]])
        #expect(fileMode(path) == 0o600)
        #expect(fileMode(path + "-wal") == 0o600)
        #expect(fileMode(path + "-shm") == 0o600)
        let tables = try rawSQLite(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").map { $0[0] }
        #expect(tables == ["dead_letter_counts", "dead_letters", "outbox", "pending_by_table", "settings", "table_state", "uploader_lease", "write_requests", "write_streams"])
        outbox.close()
    }

    @Test("a file at every earlier version is brought to the latest, keeping its rows", arguments: 1..<Migrator.latestVersion)
    func fileAtEarlierVersionIsUpgraded(version: Int64) throws {
        let directory = try TestDirectory()
        let path = directory.path("old.db")
        let earlier = Migration.embedded.filter { $0.version <= version }
        for migration in earlier {
            _ = try rawSQLite(path, migration.sql)
        }
        _ = try rawSQLite(path, "PRAGMA user_version = \(version)")
        _ = try rawSQLite(path, """
            INSERT INTO outbox (table_name, insert_id, payload, payload_bytes, created_at, next_attempt_at)
            VALUES ('t', 'old-1', '{"a":1}', 7, 1000, 1000), ('t', 'old-2', '{"a":2}', 7, 1000, 1000);
            """)

        let outbox = try openOutbox(path)
        #expect(try rawSQLite(path, "PRAGMA user_version") == [["\(Migrator.latestVersion)"]])
        let totals = try outbox.pendingTotals()
        #expect(totals.rows == 2)
        #expect(totals.bytes == 14)
        let claimed = try outbox.claim(table: "t", now: nowMillis(), maxRows: 10, maxBytes: 1 << 20)
        #expect(claimed.map(\.insertId) == ["old-1", "old-2"])
        outbox.close()
    }

    @Test("two opens of one new file at once migrate it exactly once")
    func concurrentOpensMigrateOnce() async throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outcomes = await withTaskGroup(of: Bool.self, returning: [Bool].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    guard let outbox = try? openOutbox(path) else { return false }
                    outbox.close()
                    return true
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes == [true, true, true, true])
        #expect(try rawSQLite(path, "SELECT count(*) FROM sqlite_master WHERE name = 'pending_by_table'") == [["1"]])
    }
}
