import BigQueryREST
import Spool
import Testing

@Suite("How a view in BigQuery differs from its files")
struct ViewComparisonTests {
    static let plain = ViewDefinition(name: "daily", sql: "SELECT a\nFROM `${dataset}.t`\n", description: "Daily.")
    static let materialized = ViewDefinition(
        name: "affinity", kind: .materializedView, sql: "SELECT a, COUNT(*) AS n FROM `${dataset}.t` GROUP BY a",
        description: "ML.", enableRefresh: true, refreshIntervalMs: 1_800_000
    )
    static func query(_ view: ViewDefinition) -> String { view.query(project: "p", dataset: "d") }

    @Test("judgements", arguments: [
        // The same query laid out differently, the same description: nothing differs.
        (plain, RemoteView(type: "VIEW", query: "SELECT a FROM `p.d.t`", description: "Daily."), [ViewDifference]()),
        (plain, RemoteView(type: "TABLE"), [.kind(remote: "TABLE")]),
        (plain, RemoteView(type: "MATERIALIZED_VIEW", query: "SELECT a FROM `p.d.t`"), [.kind(remote: "MATERIALIZED_VIEW")]),
        (plain, RemoteView(type: "VIEW", query: "SELECT b\nFROM `p.d.t`", description: "Daily."), [.query(diff: ["- SELECT b", "+ SELECT a"])]),
        (plain, RemoteView(type: "VIEW", query: "SELECT a FROM `p.d.t`", description: nil), [.description(remote: nil, local: "Daily.")]),
        (materialized, RemoteView(type: "MATERIALIZED_VIEW", query: query(materialized), description: "ML.",
                                  refresh: MaterializedViewResource(enableRefresh: true, refreshIntervalMs: 1_800_000)), []),
        (materialized, RemoteView(type: "MATERIALIZED_VIEW", query: query(materialized), description: "ML.",
                                  refresh: MaterializedViewResource(enableRefresh: false, refreshIntervalMs: 3_600_000)),
         [.enableRefresh(remote: false, local: true), .refreshInterval(remote: 3_600_000, local: 1_800_000)]),
        (materialized, RemoteView(type: "MATERIALIZED_VIEW", query: "SELECT b FROM `p.d.t`", description: "ML.", partitionField: "day"),
         [.query(diff: ["- SELECT b FROM `p.d.t`", "+ SELECT a, COUNT(*) AS n FROM `p.d.t` GROUP BY a"]), .partitioning(remote: "day", local: nil)]),
    ])
    func judgements(definition: ViewDefinition, remote: RemoteView, expected: [ViewDifference]) {
        #expect(ViewDifference.differences(definition, query: Self.query(definition), remote: remote).differences == expected)
    }

    @Test("what the server does not report is not compared, and a note says so")
    func unreportedSettingsAreNoted() {
        let (differences, notes) = ViewDifference.differences(
            Self.materialized, query: Self.query(Self.materialized), remote: RemoteView(type: "MATERIALIZED_VIEW", description: "ML.")
        )
        #expect(differences.isEmpty)
        #expect(notes == [
            "note: the server does not report this materialized view's query, so it was not compared",
            "note: the server does not report refresh settings, so they were not compared",
        ])
    }

    @Test("explanations name the file and both values")
    func explanations() {
        #expect(ViewDifference.description(remote: nil, local: "Daily.").explanation(Self.plain) == [#"description: none in BigQuery, "Daily." in daily.json"#])
        #expect(ViewDifference.query(diff: ["+ x"]).explanation(Self.plain) == ["query differs from daily.sql (- BigQuery, + the file):", "  + x"])
        #expect(ViewDifference.refreshInterval(remote: nil, local: 60_000).explanation(Self.materialized) == ["refreshIntervalMs: BigQuery's default in BigQuery, 60000 in affinity.json"])
    }

    @Test("a line diff keeps common lines out and caps its length")
    func lineDiff() {
        #expect(LineDiff.lines(from: "a\nb\nc", to: "a\nx\nc\nd") == ["- b", "+ x", "+ d"])
        let long = LineDiff.lines(from: "", to: (1...30).map(String.init).joined(separator: "\n"), limit: 5)
        #expect(long.count == 6 && long.last == "… 26 more changed lines")
    }
}
