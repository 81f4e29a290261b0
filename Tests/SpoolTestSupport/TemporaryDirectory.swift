import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()` or when released.
public final class TemporaryDirectory: Sendable {
    public let url: URL

    public var path: String { url.path }

    public init(prefix: String = "spool-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the directory (the file need not exist).
    public func file(_ name: String) -> URL {
        url.appendingPathComponent(name)
    }

    /// Removes the directory and everything in it; safe to call twice.
    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }

    deinit {
        remove()
    }
}
