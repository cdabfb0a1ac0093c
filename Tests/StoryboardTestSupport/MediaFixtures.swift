import Foundation

/// The small media files in `Tests/Fixtures/media/` (tones, tiny images, and files that must be
/// refused), located from this source file so tests find them whatever the working directory.
public enum MediaFixtures {
    /// `Tests/Fixtures/media/`.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // StoryboardTestSupport
            .deletingLastPathComponent()  // Tests
            .appendingPathComponent("Fixtures", isDirectory: true)
            .appendingPathComponent("media", isDirectory: true)
    }

    public static func url(_ name: String) -> URL {
        directory.appendingPathComponent(name, isDirectory: false)
    }

    public static func data(_ name: String) throws -> Data {
        try Data(contentsOf: url(name))
    }
}
