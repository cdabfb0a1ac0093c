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
    var a: [Double] = [], b: [Double] = []
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
