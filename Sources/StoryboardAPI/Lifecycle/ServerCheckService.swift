import Foundation
import Logging
import ServiceLifecycle
import StoryboardCore
import StoryboardDatabase
import StoryboardServices

/// Checks the generation servers on a schedule (an open circuit waits out its pause).
public struct ServerCheckService: Service {
    let monitor: ServerMonitor
    let interval: Double

    public func run() async throws {
        guard interval > 0 else {
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled {
            await monitor.checkDue()
            do {
                // Short ticks: only due servers are called, and an open circuit's pause may be short.
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(min(interval, 1))) }
            } catch {
                return
            }
        }
    }
}
