import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the configured ffmpeg is: the setting itself when it holds a `/`, else the first
/// executable of that name in PATH; nil when there is none (renders then answer 503).
public enum FFmpegLocator {
    public static func resolve(_ setting: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        if setting.contains("/") { return FileManager.default.isExecutableFile(atPath: setting) ? setting : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(setting)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// One run of ffmpeg (Foundation `Process`, an argument array: never a shell). Reports
/// `-progress pipe:1`'s `out_time_us` as it comes, keeps the last lines of standard error for
/// the failure message, and can be stopped from any task.
final class FFmpegProcess: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var status: Int32
        var stderr: String
        var description: String {
            stderr.isEmpty ? "ffmpeg exited with status \(status)" : "ffmpeg exited with status \(status): \(stderr)"
        }
    }

    private struct State {
        var pid: pid_t = 0
        var exited = false
        var stderrLines: [String] = []
    }

    private let state = Mutex(State())
    /// Lines of standard error kept for the message.
    static let keptLines = 12

    /// Runs `executable` with `arguments` to its end; `onProgress` gets the output position in
    /// seconds. Cancelling the calling task stops ffmpeg (SIGTERM, then SIGKILL).
    func run(executable: String, arguments: [String], onProgress: @escaping @Sendable (Double) -> Void) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        let status: Int32 = try await withTaskCancellationHandler {
            try process.run()
            let pid = process.processIdentifier
            state.withLock { $0.pid = pid }
            if Task.isCancelled { stop() }
            async let progressDone: Void = Self.readLines(stdout.fileHandleForReading) { line in
                if line.hasPrefix("out_time_us="), let micros = Double(line.dropFirst("out_time_us=".count)), micros >= 0 {
                    onProgress(micros / 1_000_000)
                }
            }
            async let errorsDone: Void = Self.readLines(stderr.fileHandleForReading) { [self] line in
                state.withLock {
                    $0.stderrLines.append(line)
                    if $0.stderrLines.count > Self.keptLines { $0.stderrLines.removeFirst($0.stderrLines.count - Self.keptLines) }
                }
            }
            _ = await (progressDone, errorsDone)
            let status = await Self.waitForExit(process)
            state.withLock { $0.exited = true }
            return status
        } onCancel: {
            stop()
        }
        try Task.checkCancellation()
        guard status == 0 else { throw Failure(status: status, stderr: state.withLock { $0.stderrLines.joined(separator: "\n") }) }
    }

    /// Asks ffmpeg to stop now, and kills it if it has not within two seconds.
    func stop() {
        let pid = state.withLock { $0.exited ? 0 : $0.pid }
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { [self] in
            let stillRunning = state.withLock { !$0.exited && $0.pid == pid }
            if stillRunning { kill(pid, SIGKILL) }
        }
    }

    /// Reads `handle` to its end on a thread of its own (a blocking read must not hold a
    /// task's thread), calling `line` for each line.
    private static func readLines(_ handle: FileHandle, _ line: @escaping @Sendable (String) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                var pending = Data()
                while let chunk = try? handle.read(upToCount: 16 * 1024), !chunk.isEmpty {
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                        let text = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self).trimmingCharacters(
                            in: .whitespacesAndNewlines)
                        pending.removeSubrange(pending.startIndex...newline)
                        if !text.isEmpty { line(text) }
                    }
                }
                let rest = String(decoding: pending, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                if !rest.isEmpty { line(rest) }
                try? handle.close()
                continuation.resume()
            }
        }
    }

    private static func waitForExit(_ process: Process) async -> Int32 {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume(
                    returning: process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus)
            }
        }
    }
}
