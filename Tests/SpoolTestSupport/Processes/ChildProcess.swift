import Foundation
import Synchronization

/// A child process whose stdout and stderr are collected as they arrive, for tests that kill it.
///
/// Built on posix_spawn and waitpid rather than Foundation's Process, whose exit monitoring on Linux can miss a
/// child's end when several are spawned at once, leaving `waitUntilExit()` waiting forever.
public final class ChildProcess: Sendable {
    public let pid: Int32
    private let output: LockedValue<Data>
    private let errors: LockedValue<Data>
    private let readersDone = DispatchSemaphore(value: 0)
    private let status = LockedValue<Int32?>(nil)

    private init(pid: Int32, outputFD: Int32, errorFD: Int32) {
        self.pid = pid
        let output = LockedValue(Data())
        let errors = LockedValue(Data())
        self.output = output
        self.errors = errors
        let done = readersDone
        for (fd, sink) in [(outputFD, output), (errorFD, errors)] {
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65_536)
                while true {
                    let count = read(fd, &buffer, buffer.count)
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { break }
                    sink.update { $0.append(contentsOf: buffer[0..<count]) }
                }
                close(fd)
                done.signal()
            }.start()
        }
    }

    private static let spawnLock = NSLock()

    /// Starts `executable` with `arguments` (and extra environment variables); stdin is /dev/null unless given.
    public static func launch(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> ChildProcess {
        var outputPipe: [Int32] = [0, 0]
        var errorPipe: [Int32] = [0, 0]
        var inputPipe: [Int32] = [0, 0]
        // A child spawned at the same time by another thread must not inherit these ends (it would keep this child's
        // stdin or stdout open, and both would wait forever): they are close-on-exec (dup2 in the child clears that
        // for 0, 1 and 2), set under a lock that every spawn here holds, so no spawn falls between pipe and fcntl.
        spawnLock.lock()
        var spawnLocked = true
        defer { if spawnLocked { spawnLock.unlock() } }
        guard pipe(&outputPipe) == 0, pipe(&errorPipe) == 0, pipe(&inputPipe) == 0 else {
            throw ChildProcessError(message: "pipe failed: \(String(cString: strerror(errno)))")
        }
        for fd in inputPipe + outputPipe + errorPipe {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        for fd in inputPipe + outputPipe + errorPipe {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let variables = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0)=\($1)" }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        spawnLock.unlock()
        spawnLocked = false
        close(inputPipe[0])
        close(outputPipe[1])
        close(errorPipe[1])
        guard rc == 0 else {
            close(inputPipe[1])
            close(outputPipe[0])
            close(errorPipe[0])
            throw ChildProcessError(message: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        if let stdin {
            stdin.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = write(inputPipe[1], bytes.baseAddress! + offset, bytes.count - offset)
                    if written <= 0 { break }
                    offset += written
                }
            }
        }
        close(inputPipe[1])
        return ChildProcess(pid: pid, outputFD: outputPipe[0], errorFD: errorPipe[0])
    }

    /// What the child has written to stdout so far.
    public var standardOutput: String {
        String(decoding: output.value, as: UTF8.self)
    }

    public var standardError: String {
        String(decoding: errors.value, as: UTF8.self)
    }

    public var isRunning: Bool {
        reap(blocking: false) == nil
    }

    /// Waits until stdout contains `text`; throws when the time runs out or the child exits first.
    public func waitForOutput(containing text: String, timeout: Duration) throws {
        let deadline = ContinuousClock.now + timeout
        while !standardOutput.contains(text) {
            guard ContinuousClock.now < deadline else {
                throw ChildProcessError(message: "timed out waiting for \"\(text)\"; stderr: \(standardError.suffix(500))")
            }
            if !isRunning {
                usleep(20_000)
                guard standardOutput.contains(text) else {
                    throw ChildProcessError(message: "exited before printing \"\(text)\"; stderr: \(standardError.suffix(500))")
                }
                return
            }
            usleep(2_000)
        }
    }

    public func kill(signal: Int32) {
        Foundation.kill(pid, signal)
    }

    /// Waits for the child to end and for its output pipes to close, and returns all of its stdout.
    @discardableResult
    public func waitForExit() -> String {
        _ = reap(blocking: true)
        readersDone.wait()
        readersDone.wait()
        return standardOutput
    }

    /// The exit code (128 + N when killed by signal N); -1 while running.
    public var exitCode: Int32 {
        guard let raw = reap(blocking: false) else { return -1 }
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    private func reap(blocking: Bool) -> Int32? {
        if let known = status.value { return known }
        var raw: Int32 = 0
        while true {
            let result = waitpid(pid, &raw, blocking ? 0 : WNOHANG)
            if result == -1 && errno == EINTR { continue }
            if result == pid {
                status.update { $0 = raw }
                return raw
            }
            return status.value
        }
    }

    /// Runs a command to completion and returns its exit code, stdout and stderr.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil) throws -> (code: Int32, stdout: String, stderr: String) {
        let child = try launch(executable, arguments, environment: environment, stdin: stdin)
        let stdout = child.waitForExit()
        return (child.exitCode, stdout, child.standardError)
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}
