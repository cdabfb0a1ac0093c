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
            return
                "postgres://\(settings.username)\(settings.password.map { ":\($0)" } ?? "")@\(settings.host):\(settings.port)/\(settings.database)"
        }
    }
}

/// Starts `storyboard serve` (`binary`) on a free loopback port and returns once it answers
/// HTTP at all (a 503 from a busy database still means it listens); its output goes to `log`.
public func startServe(
    binary: String, environment: [String: String], log: String, checksContract: Bool = true
) async throws -> (pid: pid_t, client: LoopbackClient) {
    // A free port can be taken by someone else's outgoing connection before serve binds it
    // (a busy machine runs many): then serve says so and exits, and another port is tried.
    for _ in 0..<5 {
        try? FileManager.default.removeItem(atPath: log)
        let port = try await unusedPort()
        let pid = try ProcessRunner.spawn(binary, ["serve", "--port", "\(port)"], environment: environment, logPath: log)
        let client = LoopbackClient(port: port, checksContract: checksContract)
        var exited = false
        for _ in 0..<600 where !exited {
            try await Task.sleep(for: .milliseconds(50))
            if (try? await client.request(.get, "/api/health")) != nil { return (pid, client) }
            var status: Int32 = 0
            exited = waitpid(pid, &status, WNOHANG) == pid
        }
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        if !exited { kill(pid, SIGKILL) }
        guard output.contains("Address already in use") else { throw TestServerError(description: "serve did not start: \(output)") }
    }
    throw TestServerError(description: "serve did not start: every port tried was taken")
}
