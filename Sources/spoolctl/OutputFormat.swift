import ArgumentParser

/// `--format text` for people, `--format json` for programs (documented as stable in the README).
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
}
