import Foundation
import Testing
@testable import SpoolStorage

@Suite("Bad spool files")
struct BadFileTests {
    @Test("a file that is not a SQLite database is refused with notADatabase and left untouched")
    func nonDatabaseFileIsRefusedUntouched() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let original = Data(String(repeating: "this is not a database\n", count: 300).utf8)
        try original.write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(path) }
        #expect(error?.code == .notADatabase)
        #expect(error?.message.contains(path) == true)
        #expect(fileBytes(path) == original)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }

    @Test("a spool from a newer version is refused with newerVersion and left untouched")
    func newerVersionIsRefusedUntouched() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        try openOutbox(path).close()
        _ = try rawSQLite(path, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA user_version = \(Migrator.latestVersion + 1)")
        _ = try rawSQLite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let before = fileBytes(path)
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(path) }
        #expect(error?.code == .newerVersion)
        #expect(error?.message.contains("version \(Migrator.latestVersion + 1)") == true)
        #expect(fileBytes(path) == before)
        let readOnly = #expect(throws: SpoolError.self) { _ = try openOutbox(path) { $0.access = .readOnly } }
        #expect(readOnly?.code == .newerVersion)
    }

    @Test("a truncated spool file is a clear error, not a crash")
    func truncatedFileIsAnError() throws {
        let directory = try TestDirectory()
        let path = directory.path("spool.db")
        let outbox = try openOutbox(path)
        for index in 0..<3000 {
            _ = try outbox.append(table: "t", insertId: "\(index)", payload: payload(index), now: 0)
        }
        outbox.close()
        _ = try rawSQLite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
        let full = try #require(fileBytes(path))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
        let truncated = fileBytes(path)
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(path) }
        #expect(error?.code == .corrupt)
        #expect(fileBytes(path) == truncated)
    }

    @Test("a path in a missing directory is cannotOpen and creates nothing")
    func missingDirectoryIsCannotOpen() throws {
        let directory = try TestDirectory()
        let path = directory.path("missing/spool.db")
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(path) }
        #expect(error?.code == .cannotOpen)
        #expect(error?.message.contains("does not exist") == true)
        #expect(!FileManager.default.fileExists(atPath: directory.path("missing")))
    }

    @Test("a directory given as the spool path is a clear error")
    func directoryAsPathIsAnError() throws {
        let directory = try TestDirectory()
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(directory.url.path) }
        #expect(error?.code == .cannotOpen)
    }

    @Test("a read-only open of a missing file is cannotOpen and creates nothing")
    func readOnlyOpenOfMissingFile() throws {
        let directory = try TestDirectory()
        let path = directory.path("none.db")
        let error = #expect(throws: SpoolError.self) { _ = try openOutbox(path) { $0.access = .readOnly } }
        #expect(error?.code == .cannotOpen)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
