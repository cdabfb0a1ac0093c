import Foundation

/// The system's ffmpeg and ffprobe, for tests that render animatics and look at the result.
/// Those tests skip when ffmpeg is not installed, unless STORYBOARD_TEST_FFMPEG=required
/// (CI), where they run and fail.
public enum FFmpegTools {
    public static let ffmpeg = locate("ffmpeg")
    public static let ffprobe = locate("ffprobe")

    public static var isRequired: Bool { ProcessInfo.processInfo.environment["STORYBOARD_TEST_FFMPEG"] == "required" }
    /// Whether the tests that need ffmpeg run.
    public static var shouldRun: Bool { (ffmpeg != nil && ffprobe != nil) || isRequired }

    static func locate(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public struct Missing: Error, CustomStringConvertible {
        public var description: String { "ffmpeg and ffprobe are required (STORYBOARD_TEST_FFMPEG=required) but are not installed" }
    }

    public struct Failed: Error, CustomStringConvertible {
        public let description: String
    }

    static func run(_ tool: String?, _ arguments: [String]) async throws -> String {
        guard let tool else { throw Missing() }
        let result = try await ProcessRunner.run(tool, arguments)
        guard result.status == 0 else {
            throw Failed(description: "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.output)")
        }
        return result.output
    }

    /// A `seconds`-long sine tone as a small WAV (8 kHz mono).
    public static func tone(seconds: Double) async throws -> Data {
        let path = temporary("wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await run(
            ffmpeg,
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:duration=\(seconds)", "-ar", "8000",
                "-ac", "1", path,
            ])
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// A short solid-colour H.264 MP4 (`color` as ffmpeg names colours).
    public static func solidVideo(color: String, seconds: Double, width: Int = 160, height: Int = 90) async throws -> Data {
        let path = temporary("mp4")
        defer { try? FileManager.default.removeItem(atPath: path) }
        _ = try await run(
            ffmpeg,
            [
                "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "color=c=\(color):s=\(width)x\(height):r=10:d=\(seconds)",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", path,
            ])
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// The container's duration in seconds, as ffprobe reads it.
    public static func duration(of file: Data) async throws -> Double {
        let path = temporary("mp4")
        try file.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await run(
            ffprobe, ["-v", "error", "-show_entries", "format=duration", "-of", "default=noprint_wrappers=1:nokey=1", path])
        guard let seconds = Double(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw Failed(description: "ffprobe said \(output)")
        }
        return seconds
    }

    /// The stream types in the file (`video`, `audio`).
    public static func streams(of file: Data) async throws -> [String] {
        let path = temporary("mp4")
        try file.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try await run(
            ffprobe, ["-v", "error", "-show_entries", "stream=codec_type", "-of", "default=noprint_wrappers=1:nokey=1", path])
        return output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The RGB colour of the centre pixel of the frame shown at `seconds`, decoded by ffmpeg.
    public static func centreColour(of file: Data, at seconds: Double) async throws -> (red: Int, green: Int, blue: Int) {
        let video = temporary("mp4")
        let frame = temporary("rgb")
        try file.write(to: URL(fileURLWithPath: video))
        defer {
            try? FileManager.default.removeItem(atPath: video)
            try? FileManager.default.removeItem(atPath: frame)
        }
        let size = try await run(
            ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height", "-of", "csv=p=0", video])
        let parts = size.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Int($0) }
        guard parts.count == 2 else { throw Failed(description: "ffprobe gave the size as \(size)") }
        _ = try await run(
            ffmpeg,
            [
                "-hide_banner", "-loglevel", "error", "-y", "-ss", "\(seconds)", "-i", video, "-frames:v", "1", "-f", "rawvideo",
                "-pix_fmt", "rgb24", frame,
            ])
        let pixels = [UInt8](try Data(contentsOf: URL(fileURLWithPath: frame)))
        let offset = ((parts[1] / 2) * parts[0] + parts[0] / 2) * 3
        guard pixels.count >= offset + 3 else { throw Failed(description: "the decoded frame has \(pixels.count) bytes") }
        return (Int(pixels[offset]), Int(pixels[offset + 1]), Int(pixels[offset + 2]))
    }

    static func temporary(_ fileExtension: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("sb-ff-\(UUID().uuidString).\(fileExtension)").path
    }
}
