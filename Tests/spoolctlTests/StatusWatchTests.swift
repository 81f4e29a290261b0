import Foundation
import Spool
import SpoolTestSupport
import Testing

/// `spoolctl status --watch` through the real binary: frames on a pipe, rates from the file's totals, Ctrl-C.
@Suite("spoolctl status --watch")
struct StatusWatchTests {
    /// The numbers of every `rates` line printed so far: (appended per second, delivered per second).
    private func rates(_ output: String) -> [(appended: Double, delivered: Double)] {
        output.split(separator: "\n").filter { $0.hasPrefix("rates   appended ") }.compactMap { line in
            let words = line.replacingOccurrences(of: ",", with: "").split(separator: " ")
            guard let appended = words.firstIndex(of: "appended"), let delivered = words.firstIndex(of: "delivered"),
                  let a = Double(words[appended + 1]), let d = Double(words[delivered + 1]) else { return nil }
            return (a, d)
        }
    }

    private func frames(_ child: ChildProcess) -> Int {
        child.standardOutput.components(separatedBy: "(Ctrl-C quits)").count - 1
    }

    /// Waits until `count` frames were printed; records an issue and throws if the watch stops or 30 s pass first.
    private func waitForFrames(_ child: ChildProcess, count: Int) throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while frames(child) < count, ContinuousClock.now < deadline, child.isRunning {
            usleep(10_000)
        }
        try #require(frames(child) >= count, "stdout: \(child.standardOutput.suffix(800)) stderr: \(child.standardError.suffix(300))")
    }

    @Test("on a pipe, frames follow one another in plain text with append and delivery rates and an ETA; Ctrl-C exits 0")
    func plainFramesWithRatesUntilInterrupted() throws {
        let fixture = try SpoolFixture()
        try fixture.append(10, to: "user_search_events", prefix: "before")
        let child = try Spoolctl.launch(["status", "--db", fixture.path, "--watch", "300ms"])
        try waitForFrames(child, count: 2)
        #expect(child.standardOutput.contains("rates   from the next refresh on"), "the first frame has nothing to compare with")
        #expect(rates(child.standardOutput).first.map { $0.appended == 0 && $0.delivered == 0 } == true, "nothing happened between the first two frames")
        #expect(child.standardOutput.contains("ETA     not draining: 10 pending and not falling"))

        try fixture.append(50, to: "user_search_events", prefix: "during")
        try waitForFrames(child, count: frames(child) + 3)
        #expect(rates(child.standardOutput).contains { $0.appended > 0 }, "the 50 appends show as a rate")

        // Deliver all 60 through the library's uploader, as a running API process would.
        let stub = try BigQueryStub()
        defer { stub.stop() }
        let spool = try fixture.open()
        let uploader = try SpoolUploader(
            spool: spool, destination: Destination(project: "test-project", dataset: "analytics", endpoint: stub.endpoint),
            configuration: SpoolFixture.fastUploader()
        )
        #expect(try uploader.drain(timeout: .seconds(30)).remainingRows == 0)
        spool.close()
        try waitForFrames(child, count: frames(child) + 2)
        let all = rates(child.standardOutput)
        #expect(all.contains { $0.delivered > 0 }, "the deliveries show as a rate")
        #expect(child.standardOutput.contains("ETA     empty"), "once drained, the backlog is empty")

        child.kill(signal: SIGINT)
        child.waitForExit()
        #expect(child.exitCode == 0, "Ctrl-C ends a watch normally: \(child.standardError)")
        #expect(!child.standardOutput.contains("\u{1B}"), "no terminal escapes on a pipe")
        #expect(child.standardOutput.contains("user_search_events"), "each frame is the status report")
    }

    @Test("on a terminal, each frame is drawn in place: cursor home and clear screen before it")
    func terminalFramesRedrawInPlace() throws {
        let fixture = try SpoolFixture()
        try fixture.append(3, to: "user_search_events")
        // script(1) gives spoolctl a pseudo-terminal; timeout sends the Ctrl-C and passes on spoolctl's exit code
        // (without --foreground it signals its whole process group too: spoolctl then gets two, which must also exit 0).
        let command = "timeout --preserve-status -s INT 2 \(Spoolctl.path) status --db \(fixture.path) --watch 500ms"
        let result = try ChildProcess.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: Spoolctl.isolatedEnvironment)
        #expect(result.code == 0, "\(result.stdout)\n\(result.stderr)")
        let clear = "\u{1B}[H\u{1B}[2J"
        #expect(result.stdout.components(separatedBy: clear).count - 1 >= 2, "at least two frames, each after cursor home + clear")
        #expect(result.stdout.contains("rates   appended 0.0 rows/s, delivered 0.0 rows/s"))
    }

    @Test("an interval without --watch, --watch with JSON, or an interval under 100ms is a usage error (exit 1)")
    func badWatchArgumentsAreUsageErrors() throws {
        let fixture = try SpoolFixture()
        try fixture.append(1, to: "user_search_events")
        let bare = try Spoolctl.run(["status", "--db", fixture.path, "5s"])
        #expect(bare.code == 1)
        #expect(bare.stderr.contains("needs --watch"))
        let json = try Spoolctl.run(["status", "--db", fixture.path, "--watch", "--format", "json"])
        #expect(json.code == 1)
        #expect(json.stderr.contains("--watch draws text"))
        let fast = try Spoolctl.run(["status", "--db", fixture.path, "--watch", "10ms"])
        #expect(fast.code == 1)
        #expect(fast.stderr.contains("at least 100ms"))
    }
}
