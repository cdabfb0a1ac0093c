/// The samples of a Prometheus text exposition (`/metrics`), by their full series name:
/// `storyboard_job_phase_seconds_count{phase="attach"}` → 2.
public struct PrometheusText: Sendable {
    public let samples: [String: Double]

    public init(_ text: String) {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            // The value follows the last space; label values may hold spaces of their own.
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        self.samples = samples
    }

    public subscript(_ series: String) -> Double? { samples[series] }

    /// How often a job went through `phase`, and the seconds it spent there in all.
    public func jobPhase(_ phase: String) -> (count: Double, seconds: Double) {
        (
            samples["storyboard_job_phase_seconds_count{phase=\"\(phase)\"}"] ?? 0,
            samples["storyboard_job_phase_seconds_sum{phase=\"\(phase)\"}"] ?? 0
        )
    }
}
