import Foundation
import StoryboardCore

/// The follow loop of one running job: does what `FollowStateMachine` asks (wait, look at
/// the row, write progress, ask for the result, renew the lease) and tells it how it went.
struct JobFollow: Sendable {
    let lease: JobLease
    let settings: GenerationSettings
    /// Called when the job stalled: it may be the server that is wedged.
    let stalled: @Sendable () async -> Void

    /// Progress and previews of one job are written at most this often.
    static let updateInterval = Duration.milliseconds(250)

    /// Polls `look` until it returns a result, keeping the lease alive, stopping (and
    /// cancelling upstream) when the job is cancelled here, and giving up when the job shows
    /// no sign of progress for the stall timeout. With a `watch` (ComfyUI's websocket) its
    /// progress and previews are written as they come, `look` is asked when the socket says
    /// the prompt is over (or, as a safety net, now and then), and the stall timeout counts
    /// from the last message; without one (or once the socket is gone) `look` is polled.
    func follow<T: Sendable>(
        watch: JobWatch? = nil, cancel: @Sendable () async -> Void, _ look: @Sendable () async throws -> T?
    ) async throws -> T {
        let clock = ContinuousClock()
        // Without a socket nothing feeds the watch: it only holds the loop's state.
        let machine = watch ?? JobWatch(now: clock.now)
        let configuration = FollowStateMachine.Configuration(
            socket: watch != nil, poll: .milliseconds(Int64(settings.pollInterval * 1000)), updateInterval: Self.updateInterval,
            stallTimeout: .milliseconds(Int64(settings.stallTimeout * 1000)), heartbeat: .seconds(settings.leaseSeconds / 3))
        let start = clock.now
        var action = machine.step { $0.start(configuration, now: start) }
        while true {
            switch action {
            case .wait(let duration, let wakeable):
                if wakeable { try await machine.nap(duration) } else { try await Task.sleep(for: duration) }
                let now = clock.now
                action = machine.step { $0.waited(now: now) }
            case .checkRow:
                let held = try await lease.isHeld()
                let now = clock.now
                action = machine.step { $0.rowChecked(held: held, now: now) }
            case .write(let updates):
                let held = try await lease.record(updates)
                let now = clock.now
                action = machine.step { $0.written(held: held, now: now) }
            case .look:
                if let result = try await look() { return result }
                let now = clock.now
                action = machine.step { $0.historyPending(now: now) }
            case .renewLease:
                try await lease.renew()
                let now = clock.now
                action = machine.step { $0.leaseRenewed(now: now) }
            case .stop:
                await cancel()
                throw JobRun.Stop(reason: "cancelled while it ran")
            case .stalled:
                await cancel()
                await stalled()
                throw UpstreamError(.transient, "no sign of progress for \(Self.seconds(settings.stallTimeout)) s; interrupted")
            }
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(format: "%.1f", value)
    }
}
