import Foundation
import Spool
import SpoolTestSupport
import Testing

/// Another user looks at the application's spool: with setpriv, the test (root) plays the application's user and an
/// operator who is not that user, and runs the real spoolctl and the real library (spool-torture) as each of them.
@Suite("spoolctl run by another user", .serialized)
struct OtherUserTests {
    static let owner: uid_t = 4242
    static let viewer: uid_t = 65534

    /// Copies of the binaries in a folder anyone can read: the build folder may sit in a home only root can enter.
    final class Binaries {
        let directory: TemporaryDirectory

        init() throws {
            directory = try TemporaryDirectory(prefix: "spoolctl-bin")
            chmod(directory.path, 0o755)
            for product in ["spoolctl", "spool-torture"] {
                try Self.copyExecutable(BuiltProducts.path(product), to: directory.file(product).path)
            }
        }

        /// Written through a close-on-exec descriptor: one inherited by a child another test spawns meanwhile would
        /// keep the copy open for writing, and running it would fail with "Text file busy".
        private static func copyExecutable(_ source: String, to destination: String) throws {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
            let fd = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o755)
            guard fd >= 0 else { throw CopyFailure(destination: destination, code: errno) }
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
                guard written > 0 else { throw CopyFailure(destination: destination, code: errno) }
                offset += written
            }
            fchmod(fd, 0o755)
        }

        struct CopyFailure: Error {
            var destination: String
            var code: Int32
        }

        /// Runs `product` as `user` (group the same number, no supplementary groups).
        func run(_ product: String, as user: uid_t, _ arguments: [String]) throws -> SpoolctlResult {
            let result = try ChildProcess.run(
                "/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", directory.file(product).path] + arguments,
                environment: Spoolctl.isolatedEnvironment
            )
            return SpoolctlResult(code: result.code, stdout: result.stdout, stderr: result.stderr)
        }

        func launch(_ product: String, as user: uid_t, _ arguments: [String]) throws -> ChildProcess {
            try ChildProcess.launch(
                "/usr/bin/setpriv", ["--reuid=\(user)", "--regid=\(user)", "--clear-groups", directory.file(product).path] + arguments,
                environment: Spoolctl.isolatedEnvironment
            )
        }
    }

    /// Files in `folder` owned by `user`.
    private func files(in folder: String, ownedBy user: uid_t) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            var info = stat()
            return stat(folder + "/" + name, &info) == 0 && info.st_uid == user
        }.sorted()
    }

    /// The application's next append, as its own user through the real library: it must succeed.
    private func ownerAppends(_ binaries: Binaries, _ path: String, prefix: String) throws {
        let result = try binaries.run("spool-torture", as: Self.owner, ["--db", path, "--count", "3", "--rate", "1000", "--prefix", prefix])
        #expect(result.code == 0, "the owner's append failed: \(result.stderr)")
        #expect(result.stdout.contains("ack \(prefix)-2") && !result.stdout.contains("fail"), "\(result.stdout)")
    }

    /// The application's spool, created and appended to by its owner in a folder of the owner's with `folderMode`,
    /// then given `fileMode`, checkpointed and closed (by root, whose SQLite hands any file it makes to the owner).
    private func ownersSpool(_ binaries: Binaries, folderMode: mode_t, fileMode: mode_t) throws -> (folder: TemporaryDirectory, path: String) {
        let folder = try TemporaryDirectory(prefix: "spoolctl-owner")
        let path = folder.file("spool.db").path
        chown(folder.path, Self.owner, Self.owner)
        chmod(folder.path, folderMode)
        try ownerAppends(binaries, path, prefix: "a")
        chmod(path, fileMode)
        try Spool(path: path).close()
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        return (folder, path)
    }

    /// status, dead-letters list and show, and doctor as the viewer: they read the spool and leave nothing of theirs.
    /// `pendingRows`: what status must count, when no process appends meanwhile.
    private func viewerLooks(_ binaries: Binaries, _ folder: String, _ path: String, configuration: String, pendingRows: Int?) throws {
        let status = try binaries.run("spoolctl", as: Self.viewer, ["status", "--db", path, "--format", "json"])
        #expect(status.code == 0, "\(status.stderr)")
        let totals = (try? Spoolctl.json(status.stdout) as? [String: Any])?["totals"] as? [String: Any]
        let counted = totals?["pendingRows"] as? Int ?? 0
        #expect(pendingRows.map { counted == $0 } ?? (counted > 0), "\(status.stdout)")
        let list = try binaries.run("spoolctl", as: Self.viewer, ["dead-letters", "list", "--db", path])
        #expect(list.code == 0, "\(list.stderr)")
        let show = try binaries.run("spoolctl", as: Self.viewer, ["dead-letters", "show", "--db", path, "1"])
        #expect(show.code == 1 && show.stderr.contains("no dead letter with id 1 in \(path)"), "\(show.stderr)")
        let doctor = try binaries.run("spoolctl", as: Self.viewer, ["doctor", "--config", configuration])
        #expect(doctor.stdout.contains("✓ spool \(path): schema version"), "\(doctor.stdout)")
        #expect(doctor.stdout.contains("✓ quick_check: ok"), "\(doctor.stdout)")
        #expect(try files(in: folder, ownedBy: Self.viewer).isEmpty, "the viewer left files behind")
    }

    @Test("status, dead-letters and doctor as another user leave no file the owner cannot write, whether or not the application has the spool open")
    func viewingNeverBreaksTheOwner() throws {
        try #require(geteuid() == 0, "acting as other users takes root (CI runs the tests as root)")
        let binaries = try Binaries()
        // The application's spool, readable by others, in a folder others may write (the issue's set-up).
        let (spoolFolder, path) = try ownersSpool(binaries, folderMode: 0o777, fileMode: 0o644)
        let folder = spoolFolder.path
        let configuration = binaries.directory.file("spool.json").path
        try Data(#"{"spool": {"path": "\#(path)"}}"#.utf8).write(to: URL(fileURLWithPath: configuration))
        chmod(configuration, 0o644)

        // 1. Nobody has the spool open.
        try viewerLooks(binaries, folder, path, configuration: configuration, pendingRows: 3)
        #expect(!FileManager.default.fileExists(atPath: path + "-wal") && !FileManager.default.fileExists(atPath: path + "-shm"))
        try ownerAppends(binaries, path, prefix: "b")

        // 2. The application has it open (its -wal and -shm exist, readable like the file).
        let application = try binaries.launch("spool-torture", as: Self.owner, ["--db", path, "--count", "100000", "--rate", "20", "--prefix", "live"])
        defer {
            application.kill(signal: SIGKILL)
            application.waitForExit()
        }
        try application.waitForOutput(containing: "ack live-0", timeout: .seconds(30))
        try viewerLooks(binaries, folder, path, configuration: configuration, pendingRows: nil)
        try ownerAppends(binaries, path, prefix: "c")
    }

    @Test("in a folder the viewer cannot write, status reads the spool, or refuses saying \"permission\" and the path")
    func unwritableFolderSaysPermission() throws {
        try #require(geteuid() == 0, "acting as other users takes root (CI runs the tests as root)")
        let binaries = try Binaries()
        let (spoolFolder, path) = try ownersSpool(binaries, folderMode: 0o755, fileMode: 0o644)
        let folder = spoolFolder.path

        // No -wal: read with immutable=1, which needs no -shm (SQLite's bare error 1544 was what this used to say).
        let status = try binaries.run("spoolctl", as: Self.viewer, ["status", "--db", path])
        #expect(status.code == 0, "\(status.stderr)")
        #expect(status.stdout.contains("user_search_events"), "\(status.stdout)")
        #expect(try files(in: folder, ownedBy: Self.viewer).isEmpty)

        // A -wal without its -shm (e.g. left by a crash): reading it would need a new -shm, which only the owner may make.
        let crashed = try binaries.launch("spool-torture", as: Self.owner, ["--db", path, "--count", "100000", "--rate", "50", "--prefix", "crash"])
        try crashed.waitForOutput(containing: "ack crash-0", timeout: .seconds(30))
        crashed.kill(signal: SIGKILL)
        crashed.waitForExit()
        try FileManager.default.removeItem(atPath: path + "-shm")
        #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        for command in [["status"], ["dead-letters", "list"], ["dead-letters", "show", "1"]] {
            let refused = try binaries.run("spoolctl", as: Self.viewer, command + ["--db", path])
            #expect(refused.code == 1, "\(command): \(refused.stdout) \(refused.stderr)")
            #expect(refused.stderr.contains("permission") && refused.stderr.contains(path), "\(command): \(refused.stderr)")
            #expect(!refused.stderr.contains("SQLite error"), "\(refused.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: path + "-shm"))
        #expect(try files(in: folder, ownedBy: Self.viewer).isEmpty)
        try ownerAppends(binaries, path, prefix: "b")
    }

    @Test("commands that write refuse to run as a user other than the spool's owner, and change nothing")
    func writingCommandsRunAsTheOwner() throws {
        try #require(geteuid() == 0, "acting as other users takes root (CI runs the tests as root)")
        let binaries = try Binaries()
        let (spoolFolder, path) = try ownersSpool(binaries, folderMode: 0o777, fileMode: 0o666)
        let folder = spoolFolder.path
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))

        for command in [["dead-letters", "purge", "--yes"], ["dead-letters", "requeue"], ["drain", "--credentials", "none"], ["migrate"]] {
            let refused = try binaries.run("spoolctl", as: Self.viewer, command + ["--db", path])
            #expect(refused.code == 1, "\(command): \(refused.stderr)")
            #expect(refused.stderr.contains("belongs to uid \(Self.owner)") && refused.stderr.contains("permission"), "\(command): \(refused.stderr)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
        #expect(try files(in: folder, ownedBy: Self.viewer).isEmpty)
        try ownerAppends(binaries, path, prefix: "b")
    }
}
