import Metrics

/// Where a job's time goes outside the GPU: waiting in the queue, getting the prompt onto the
/// server, the server's own run, fetching and storing the outputs, attaching them. Exported as
/// `storyboard_job_phase_seconds{phase=…}`; the generation benchmark reads it to split a lone
/// job's time.
public struct JobPhaseMetrics: Sendable {
    public enum Phase: String, CaseIterable, Sendable {
        /// From the moment the job could run (queued, or its back-off over) to its claim.
        case queued
        /// Claim → prompt accepted by the server: the start record (unless the claim wrote
        /// it), the graph, the send.
        case prepare
        /// Prompt accepted → the server's result is known, with the downloads of the outputs
        /// that its socket announced meanwhile.
        case upstream
        /// Downloading the outputs not fetched early into the media store.
        case collect
        /// The transaction that attaches the outputs and finishes the job.
        case attach
    }

    private let timers: [Phase: Metrics.Timer]

    public init(factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        var timers: [Phase: Metrics.Timer] = [:]
        for phase in Phase.allCases {
            timers[phase] = Metrics.Timer(label: "storyboard_job_phase_seconds", dimensions: [("phase", phase.rawValue)], factory: factory)
        }
        self.timers = timers
    }

    func record(_ phase: Phase, _ duration: Duration) {
        timers[phase]?.record(duration: duration)
    }

    func record(_ phase: Phase, since start: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let now = ContinuousClock.now
        record(phase, now - start)
        return now
    }
}
