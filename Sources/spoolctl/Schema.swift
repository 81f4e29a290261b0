import ArgumentParser

struct Schema: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fetch table schemas from BigQuery and check rows against them.",
        subcommands: [Fetch.self, Check.self]
    )
}
