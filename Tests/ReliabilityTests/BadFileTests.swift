import CSQLite
import BigQueryREST
import Foundation
import Spool
import SpoolStorage
import SpoolTestSupport
import Testing

extension Reliability {
    /// Files Spool must refuse without touching them: each a typed error with a clear message, the bytes unchanged.
    /// (SpoolStorageTests covers the same files at the Outbox level; here it is the public API, and configuration and
    /// credentials files too.)
    @Suite("Bad files through the public API")
    struct BadFileTests {
        enum BadSpool: String, CaseIterable, Sendable {
            case truncated, notSQLite, newerVersion
        }

        @Test("a bad spool file is a typed error and is left byte for byte as it was", arguments: BadSpool.allCases)
        func badSpoolFilesAreRefusedUntouched(kind: BadSpool) throws {
            let directory = try TemporaryDirectory()
            let path = directory.file("spool.db").path
            let expected: Set<SpoolError.Code>
            switch kind {
            case .truncated:
                try makeSpool(path, rows: 500)
                let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
                try bytes.prefix(bytes.count / 2 + 100).write(to: URL(fileURLWithPath: path))
                expected = [.corrupt, .notADatabase]
            case .notSQLite:
                try Data("{\"this is\": \"a JSON file, not a spool\"}\n".utf8).write(to: URL(fileURLWithPath: path))
                expected = [.notADatabase]
            case .newerVersion:
                try makeSpool(path, rows: 3)
                try rawSQLite(path, "PRAGMA user_version = \(Migrator.latestVersion + 1)")
                expected = [.newerVersion]
            }
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            var messages: [String] = []
            for attempt in 0..<2 {
                let error = #expect(throws: SpoolError.self, "attempt \(attempt)") {
                    let spool = try Spool(path: path)
                    // A truncated file may open; then the first read or write must fail cleanly.
                    defer { spool.close() }
                    _ = try spool.status()
                    try spool.append(json: #"{"event_id":"x"}"#, to: "user_search_events")
                    _ = try spool.outbox.claim(table: "user_search_events", now: .max, maxRows: 1000, maxBytes: .max)
                }
                if let error {
                    #expect(expected.contains(error.code), "\(kind): \(error.code) \(error.message)")
                    messages.append(error.message)
                }
            }
            print("bad file (\(kind)): \(messages.first ?? "-")")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "the file is untouched")
            #expect(!FileManager.default.fileExists(atPath: path + "-wal") || kind == .truncated)
        }

        @Test("a read-only directory (chattr +i, or a file where the directory should be) is a clear error and changes nothing")
        func aReadOnlyDirectoryIsAClearError() throws {
            let directory = try TemporaryDirectory()
            let folder = directory.file("ro").path
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let existing = folder + "/spool.db"
            try makeSpool(existing, rows: 10)
            let before = try Data(contentsOf: URL(fileURLWithPath: existing))
            let immutable = (try? ChildProcess.run("/usr/bin/chattr", ["+i", folder]))?.code == 0
            defer { _ = try? ChildProcess.run("/usr/bin/chattr", ["-i", folder]) }
            if immutable {
                // New file in an immutable directory: refused, nothing created.
                let fresh = #expect(throws: SpoolError.self) { try Spool(path: folder + "/new.db").close() }
                #expect([.cannotOpen, .readOnly].contains(fresh?.code), "\(String(describing: fresh))")
                #expect(!FileManager.default.fileExists(atPath: folder + "/new.db"))
                // An existing spool whose -wal and -shm cannot be created: refused or read-only, never changed.
                do {
                    let spool = try Spool(path: existing)
                    let write = #expect(throws: SpoolError.self) { try spool.append(json: #"{"event_id":"y"}"#, to: "user_search_events") }
                    #expect([.readOnly, .cannotOpen, .io].contains(write?.code), "\(String(describing: write))")
                    spool.close()
                } catch {
                    #expect([.readOnly, .cannotOpen].contains(error.code), "\(error)")
                }
                print("read-only directory: tested with chattr +i")
            } else {
                print("read-only directory: chattr +i unavailable here; only the directory-is-a-file case was tested")
            }
            _ = try? ChildProcess.run("/usr/bin/chattr", ["-i", folder])
            #expect(try Data(contentsOf: URL(fileURLWithPath: existing)) == before)

            // File-system independent: the "directory" is a regular file.
            let blocker = directory.file("not-a-directory").path
            try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
            let underFile = #expect(throws: SpoolError.self) { try Spool(path: blocker + "/spool.db").close() }
            #expect(underFile?.code == .cannotOpen)
            #expect(try Data(contentsOf: URL(fileURLWithPath: blocker)) == Data("x".utf8))
        }

        @Test("a malformed configuration file is invalidConfiguration naming the file, and is left untouched", arguments: [
            "{ \"spool\": { \"path\": ",
            "{ \"spool\": { \"maxPendingRows\": \"many\" } }",
            "[1, 2, 3]",
            "\u{0}\u{1}binary",
        ])
        func aMalformedConfigurationIsAClearError(text: String) throws {
            let directory = try TemporaryDirectory()
            let path = directory.file("spool.json").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: SpoolError.self) { _ = try SpoolConfigurationFile.load(path: path, environment: [:]) }
            #expect(error?.code == .invalidConfiguration)
            #expect(error?.message.contains(path) == true, "\(String(describing: error?.message))")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(text.utf8))
        }

        @Test("a malformed credentials file is a typed credentials error at start-up, without key material, and is left untouched", arguments: [
            ("not json at all", CredentialsError.Kind.notJSON),
            (#"{"type":"service_account","client_email":"a@b.c","private_key":"-----BEGIN PRIVATE KEY-----\nAAAASECRETBYTES\n-----END PRIVATE KEY-----\n","token_uri":"http://127.0.0.1:1/token"}"#, .badPrivateKey),
            (#"{"type":"service_account"}"#, .missingField),
            (#"{"type":"external_account"}"#, .unsupportedType),
        ])
        func aMalformedCredentialsFileIsAClearError(text: String, kind: CredentialsError.Kind) throws {
            let directory = try TemporaryDirectory()
            let credentials = directory.file("key.json").path
            try Data(text.utf8).write(to: URL(fileURLWithPath: credentials))
            let spool = try Spool(path: directory.file("spool.db").path)
            defer { spool.close() }
            var configuration = UploaderConfiguration()
            configuration.credentials = .file(credentials)
            let error = #expect(throws: SpoolError.self) {
                _ = try SpoolUploader(spool: spool, destination: Destination(project: "p", dataset: "d"), configuration: configuration)
            }
            #expect(error?.code == .credentials)
            #expect((error?.underlying as? CredentialsError)?.kind == kind, "\(String(describing: error))")
            #expect(error?.message.contains(credentials) == true, "\(String(describing: error?.message))")
            #expect(error.map { !"\($0)".contains("SECRETBYTES") } == true, "no key material in the error")
            #expect(try Data(contentsOf: URL(fileURLWithPath: credentials)) == Data(text.utf8))
        }
    }
}

/// A spool file with `rows` rows, closed and checkpointed so the main file holds everything.
func makeSpool(_ path: String, rows: Int) throws {
    let spool = try Spool(path: path)
    for index in 0..<rows {
        try spool.append(json: searchEvent("b-\(index)", index: index), to: "user_search_events")
    }
    spool.close()
    try rawSQLite(path, "PRAGMA wal_checkpoint(TRUNCATE)")
}

/// Runs SQL on a file with SQLite's C API, bypassing Spool (to forge a newer version).
func rawSQLite(_ path: String, _ sql: String) throws {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else { throw ScenarioError(message: "cannot open \(path)") }
    defer { sqlite3_close(handle) }
    guard sqlite3_exec(handle, sql + "; PRAGMA wal_checkpoint(TRUNCATE);", nil, nil, nil) == SQLITE_OK else {
        throw ScenarioError(message: String(cString: sqlite3_errmsg(handle)))
    }
}
