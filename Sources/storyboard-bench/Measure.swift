import Foundation
import StoryboardCore

/// Timings of one operation, in microseconds per call.
struct Timing {
    var samples: [Double]

    var mean: Double { samples.reduce(0, +) / Double(max(samples.count, 1)) }
    func percentile(_ p: Double) -> Double {
        guard !samples.isEmpty else { return 0 }
        let sorted = samples.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
    }
    var perSecond: Double { mean > 0 ? 1_000_000 / mean : 0 }
}

/// Times `first` and `second` alternately, call by call, so both see the same machine: a
/// ratio between them is then not skewed by whatever else the machine did meanwhile.
func measurePair(
    _ count: Int, warmup: Int = 200, _ first: (Int) async throws -> Void, _ second: (Int) async throws -> Void
) async throws -> (Timing, Timing) {
    for index in 0..<warmup {
        try await first(index)
        try await second(index)
    }
    let clock = ContinuousClock()
    var a: [Double] = []
    var b: [Double] = []
    a.reserveCapacity(count)
    b.reserveCapacity(count)
    func micros(_ duration: Duration) -> Double { duration.milliseconds * 1000 }
    for index in 0..<count {
        var start = clock.now
        try await first(warmup + index)
        a.append(micros(clock.now - start))
        start = clock.now
        try await second(warmup + index)
        b.append(micros(clock.now - start))
    }
    return (Timing(samples: a), Timing(samples: b))
}

/// Prints a Markdown table, so the output can go into BENCHMARKS.md as it is.
func printTable(_ header: [String], _ rows: [[String]]) {
    print("| " + header.joined(separator: " | ") + " |")
    print("|" + header.map { _ in "---" }.joined(separator: "|") + "|")
    for row in rows { print("| " + row.joined(separator: " | ") + " |") }
}

func format(_ value: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }

/// Peak resident memory of this process (VmHWM), in MiB.
func peakMemoryMiB() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kilobytes = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kilobytes / 1024
    }
    return 0
}

/// The machine's CPU time by kind since boot (Linux `/proc/stat`), in clock ticks summed over
/// all cores. Two readings tell how busy the machine was between them, and how much of its
/// time the hypervisor gave to someone else ("steal"), which is what makes this VM's speed vary.
struct MachineCPU {
    var busy: Double
    var idle: Double
    var stolen: Double

    static func now() -> MachineCPU {
        guard let stat = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") })
        else { return MachineCPU(busy: 0, idle: 0, stolen: 0) }
        // user nice system idle iowait irq softirq steal (guest time is already in user).
        let ticks = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard ticks.count >= 8 else { return MachineCPU(busy: 0, idle: 0, stolen: 0) }
        return MachineCPU(busy: ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6], idle: ticks[3] + ticks[4], stolen: ticks[7])
    }

    /// "busy / stolen" as percentages of all cores' time between `before` and this reading.
    func percentages(since before: MachineCPU) -> String {
        let (busy, idle, stolen) = (self.busy - before.busy, self.idle - before.idle, self.stolen - before.stolen)
        let total = busy + idle + stolen
        guard total > 0 else { return "—" }
        return "\(format(busy * 100 / total, digits: 0)) / \(format(stolen * 100 / total, digits: 0))"
    }
}
