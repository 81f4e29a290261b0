import Foundation
import SpoolTestSupport
import Testing

/// The README's sqlite3 queries, run exactly as printed there against a spool with dead letters.
@Suite("README: inspecting dead letters with sqlite3")
struct ReadmeQueryTests {
    /// The section between the README's sqlite3-queries markers, and the sqlite3 command line printed above it.
    private static func readmeQueries() throws -> (command: [String], queries: [String]) {
        let readme = try String(contentsOf: BuiltProducts.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let begin = try #require(readme.range(of: "<!-- sqlite3-queries: begin"))
        let end = try #require(readme.range(of: "<!-- sqlite3-queries: end -->"))
        let section = readme[begin.upperBound..<end.lowerBound]
        var queries: [String] = []
        var rest = section[...]
        while let open = rest.range(of: "```sql\n") {
            let close = try #require(rest[open.upperBound...].range(of: "```"))
            queries.append(String(rest[open.upperBound..<close.lowerBound]))
            rest = rest[close.upperBound...]
        }
        let before = readme[..<begin.lowerBound]
        let commandLine = try #require(before.split(separator: "\n").last { $0.hasPrefix("sqlite3 ") })
        return (commandLine.split(separator: " ").map(String.init), queries)
    }

    @Test("the three queries of the README run as printed and show what the dead letters hold")
    func queriesWorkAsPrinted() throws {
        let (command, queries) = try Self.readmeQueries()
        #expect(queries.count == 3)
        #expect(command.first == "sqlite3")
        let fixture = try SpoolFixture()
        try fixture.makeDeadLetters(good: 1, bad: 3)
        // The printed command line with the test's file in place of the example path.
        let arguments = Array(command.dropFirst().dropLast()) + [fixture.path]

        var outputs: [String] = []
        for query in queries {
            let result = try ChildProcess.run("/usr/bin/sqlite3", arguments, stdin: Data(query.utf8))
            #expect(result.code == 0, "\(query)\n\(result.stderr)")
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            outputs.append(result.stdout)
        }
        guard outputs.count == 3 else { return }

        let counts = outputs[0].split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(counts.first?.prefix(3) == ["table_name", "reason", "rows"])
        #expect(counts.dropFirst(2).map { Array($0.prefix(3)) } == [["user_search_events", "invalid", "3"]])

        let newest = outputs[1].split(separator: "\n").dropFirst(2).map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        #expect(newest.count == 3)
        #expect(newest.map { $0.first } == newest.map { $0.first }.sorted { Int($0 ?? "") ?? 0 > Int($1 ?? "") ?? 0 })
        #expect(newest.map { Array($0.suffix(2)) } == [["bad-2", "user-2"], ["bad-1", "user-1"], ["bad-0", "user-0"]])
        #expect(newest.allSatisfy { $0.contains("invalid") && $0.contains("response_time_ms") })

        let full = outputs[2]
        #expect(full.contains("insert_id = bad-2"))
        #expect(full.contains("reason = invalid"))
        #expect(full.contains("message = Cannot convert value to integer (bad value): 12.7"))
        #expect(full.contains(#"payload = {"event_id":"bad-2""#))
    }
}
