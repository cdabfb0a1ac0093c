import Foundation
import HTTPTypes
import HummingbirdTesting
import StoryboardDatabase
import StoryboardTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `storyboard` executable itself, as users run it (`swift test` builds it with the tests).
@Suite("storyboard command", .timeLimit(.minutes(2)))
struct CommandLineTests {
    static let binary: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/storyboard").path
    }()

    /// The environment of a user who set nothing but what the test names.
    func environment(_ values: [String: String]) -> [String: String] {
        var environment = ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        environment.merge(values) { _, new in new }
        return environment
    }

    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("storyboard-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("a bad setting stops start-up with one line naming the variable")
    func badConfiguration() async throws {
        let result = try await ProcessRunner.run(Self.binary, ["serve"], environment: environment(["PORT": "eighty"]))

        #expect(result.status == 2)
        #expect(result.output == "storyboard: configuration error: PORT is 'eighty'; allowed: a whole number from 0 to 65535\n")
    }

    @Test("serve refuses a non-loopback address without a token")
    func nonLoopbackRefused() async throws {
        let data = try temporaryDirectory()
        let result = try await ProcessRunner.run(
            Self.binary, ["serve", "--host", "0.0.0.0"], environment: environment(["STORYBOARD_DATA_DIR": data]))

        #expect(result.status == 2)
        #expect(result.output.hasPrefix("storyboard: refusing to listen on 0.0.0.0 without STORYBOARD_API_TOKEN"))
        #expect(result.output.split(separator: "\n").count == 1)
    }

    @Test("PostgreSQL not running at start: the retries happen and the exit is clean and non-zero")
    func postgresDown() async throws {
        let port = try await unusedPort()
        let result = try await ProcessRunner.run(
            Self.binary, ["serve"],
            environment: environment([
                "DATABASE_URL": "postgres://storyboard:topsecret@127.0.0.1:\(port)/storyboard",
                "DB_CONNECT_RETRIES": "2", "DB_CONNECT_RETRY_DELAY": "100ms",
            ])
        )

        #expect(result.status == 1)
        let lines = result.output.split(separator: "\n")
        #expect(lines.filter { $0.contains("database connection attempt failed") }.count == 3)
        #expect(
            lines.last?.hasPrefix(
                "storyboard: cannot connect to the PostgreSQL at postgres://storyboard:***@127.0.0.1:\(port)/storyboard after 3 attempts")
                == true)
        #expect(!result.output.contains("topsecret"))
    }

    @Test("migrate status, up, down --to 0 and doctor on a fresh SQLite database")
    func migrateAndDoctor() async throws {
        let data = try temporaryDirectory()
        let env = environment(["STORYBOARD_DATA_DIR": data, "LOG_LEVEL": "error"])

        let doctorBefore = try await ProcessRunner.run(Self.binary, ["doctor"], environment: env)
        let status = try await ProcessRunner.run(Self.binary, ["migrate", "status"], environment: env)
        let up = try await ProcessRunner.run(Self.binary, ["migrate", "up"], environment: env)
        let doctorAfter = try await ProcessRunner.run(Self.binary, ["doctor"], environment: env)
        let statusAfter = try await ProcessRunner.run(Self.binary, ["migrate", "status"], environment: env)
        let down = try await ProcessRunner.run(Self.binary, ["migrate", "down", "--to", "0"], environment: env)
        let unknownTarget = try await ProcessRunner.run(Self.binary, ["migrate", "up", "--to", "999"], environment: env)

        #expect(doctorBefore.status == 1)
        #expect(doctorBefore.output.contains("FAIL  schema: version 0"))
        #expect(status.status == 0)
        #expect(status.output.contains("pending  0001_create_projects"))
        #expect(up.output.contains("applied  0001_create_projects"))
        #expect(doctorAfter.status == 0, "\(doctorAfter.output)")
        #expect(doctorAfter.output.contains("ok    data directory"))
        #expect(doctorAfter.output.contains("ok    ffmpeg: ") || doctorAfter.output.contains("note  ffmpeg: "), "\(doctorAfter.output)")
        #expect(doctorAfter.output.contains("ok    schema: version \(Migration.all.map(\.id).max() ?? 0), up to date"))
        #expect(statusAfter.output.contains("applied  0001_create_projects"))
        #expect(down.output.contains("reverted  0001_create_projects"))
        #expect(unknownTarget.status == 1)
        #expect(unknownTarget.output.contains("there is no migration 999"))
    }

    @Test("serve answers health, then stops cleanly on SIGTERM")
    func serveAndStop() async throws {
        let data = try temporaryDirectory()
        let log = "\(data)/serve.log"
        let pid = try ProcessRunner.spawn(
            Self.binary, ["serve", "--port", "0"], environment: environment(["STORYBOARD_DATA_DIR": data]), logPath: log
        )
        // The log says where it listens.
        var port: Int?
        for _ in 0..<200 where port == nil {
            try await Task.sleep(for: .milliseconds(50))
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                port = Int(text[range].split(separator: ":").last ?? "")
            }
        }
        let listening = try #require(port, "serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        let client = TestClient(host: "127.0.0.1", port: listening)
        client.connect()
        let response = try await client.execute(.init("/api/health", method: .get, authority: "127.0.0.1:\(listening)"))
        try? await client.shutdown()
        kill(pid, SIGTERM)
        let status = await ProcessRunner.wait(for: pid)

        #expect(response.status == .ok)
        #expect(response.body.map { String(buffer: $0) }?.contains(#""engine":"sqlite""#) == true)
        #expect(status == 0)
        let text = try String(contentsOfFile: log, encoding: .utf8)
        #expect(text.contains("storyboard stopped"))
        #expect(FileManager.default.fileExists(atPath: "\(data)/storyboard.sqlite"))
    }
}

extension CommandLineTests {
    @Test("migrate down without --to reverts only the latest migration")
    func downOneStep() async throws {
        let data = try temporaryDirectory()
        let env = environment(["STORYBOARD_DATA_DIR": data, "LOG_LEVEL": "error"])
        _ = try await ProcessRunner.run(Self.binary, ["migrate", "up"], environment: env)

        let labels = Migration.all.map(\.label)
        let down = try await ProcessRunner.run(Self.binary, ["migrate", "down"], environment: env)
        let again = try await ProcessRunner.run(Self.binary, ["migrate", "down"], environment: env)
        for _ in 0..<(labels.count - 2) {
            _ = try await ProcessRunner.run(Self.binary, ["migrate", "down"], environment: env)
        }
        let last = try await ProcessRunner.run(Self.binary, ["migrate", "down"], environment: env)

        #expect(down.status == 0)
        #expect(down.output.contains("reverted  \(labels[labels.count - 1])"))
        #expect(!down.output.contains(labels[labels.count - 2]), "one step only")
        #expect(again.output.contains("reverted  \(labels[labels.count - 2])"))
        #expect(last.output.contains("nothing to revert"))
    }
}
