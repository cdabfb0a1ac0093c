import Foundation
import StoryboardCore

#if canImport(Glibc)
import Glibc
#endif

extension DatabaseLocation {
    /// The `DATABASE_URL` of this location, for a `storyboard serve` process a test starts.
    public var url: String {
        switch self {
        case .sqlite(let path): return "sqlite://\(URL(fileURLWithPath: path).path)"
        case .postgres(let settings):
            return "postgres://\(settings.username)\(settings.password.map { ":\($0)" } ?? "")@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}

/// Starts `storyboard serve` (`binary`) on a free loopback port and returns once it answers
/// HTTP at all (a 503 from a busy database still means it listens); its output goes to `log`.
public func startServe(binary: String, environment: [String: String], log: String) async throws -> (pid: pid_t, client: LoopbackClient) {
    try? FileManager.default.removeItem(atPath: log)
    let port = try await unusedPort()
    let pid = try ProcessRunner.spawn(binary, ["serve", "--port", "\(port)"], environment: environment, logPath: log)
    let client = LoopbackClient(port: port)
    for _ in 0..<600 {
        try await Task.sleep(for: .milliseconds(50))
        if (try? await client.request(.get, "/api/health")) != nil { return (pid, client) }
    }
    kill(pid, SIGKILL)
    throw TestServerError(description: "serve did not start: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
}
