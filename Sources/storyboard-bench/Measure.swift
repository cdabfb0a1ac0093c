import Foundation

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

/// Runs `body` `count` times after `warmup` untimed calls; each call timed alone.
func measure(_ count: Int, warmup: Int = 200, _ body: (Int) async throws -> Void) async throws -> Timing {
    for index in 0..<warmup { try await body(index) }
    let clock = ContinuousClock()
    var samples: [Double] = []
    samples.reserveCapacity(count)
    for index in 0..<count {
        let start = clock.now
        try await body(warmup + index)
        let elapsed = clock.now - start
        samples.append(Double(elapsed.components.seconds) * 1e6 + Double(elapsed.components.attoseconds) / 1e12)
    }
    return Timing(samples: samples)
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
