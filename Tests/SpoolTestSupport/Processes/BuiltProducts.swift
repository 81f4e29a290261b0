import Foundation

/// The package's built executables (spoolctl, spool-torture), beside the test bundle in the build folder.
public enum BuiltProducts {
    public static var directory: URL {
        // swift test runs the tests from .build/<triple>/debug/<Package>PackageTests.xctest.
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    public static func path(_ product: String) -> String {
        directory.appendingPathComponent(product).path
    }

    /// The repository root (Tests/SpoolTestSupport/Processes/ is three levels below it).
    public static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
    }
}
