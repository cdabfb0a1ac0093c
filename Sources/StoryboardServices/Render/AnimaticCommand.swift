import Foundation
import StoryboardCore

/// The ffmpeg arguments that turn an `AnimaticPlan` into an MP4: one input per segment that
/// shows media (stills looped, videos looped and trimmed), black from a colour source, the
/// song as the audio track, all concatenated in one filter graph.
///
/// Only numbers and our own media store paths reach the arguments (as separate array
/// elements, with the `file:` protocol so no path is read as an option or another protocol):
/// nothing a client typed can become an argument.
struct AnimaticCommand: Sendable {
    var plan: AnimaticPlan
    var width: Int
    var height: Int
    /// Absolute path of the song, or nil for a silent animatic.
    var song: String?
    /// Absolute path of the MP4 to write.
    var output: String
    /// Absolute path to write the filter graph to when it is too long for one argument
    /// (Linux caps a single argument at 128 KiB).
    var graphFile: String

    static let inlineGraphLimit = 100_000

    /// The arguments, and the filter graph when it must be written to `graphFile` first.
    func arguments() -> (arguments: [String], graphToWrite: String?) {
        let fps = plan.fps
        var inputs: [String] = []
        var filters: [String] = []
        var labels: [String] = []
        var inputIndex = 0
        let fit =
            "scale=\(width):\(height):force_original_aspect_ratio=decrease,pad=\(width):\(height):(ow-iw)/2:(oh-ih)/2:color=black,setsar=1"
        for (index, segment) in plan.segments.enumerated() {
            let label = "s\(index)"
            // Enough of the source for the segment, with a second to spare: the trim below cuts exactly.
            let seconds = String(format: "%.3f", Double(segment.offsetFrames + segment.frames) / Double(fps) + 1)
            let trim =
                "trim=start_frame=\(segment.offsetFrames):end_frame=\(segment.offsetFrames + segment.frames),setpts=PTS-STARTPTS,format=yuv420p"
            switch segment.media {
            case nil:
                filters.append(
                    "color=c=black:s=\(width)x\(height):r=\(fps),trim=end_frame=\(segment.frames),setpts=PTS-STARTPTS,format=yuv420p[\(label)]"
                )
            case .still(let path):
                inputs += ["-loop", "1", "-framerate", "\(fps)", "-t", seconds, "-i", "file:\(path)"]
                filters.append("[\(inputIndex):v]\(fit),fps=\(fps),\(trim)[\(label)]")
                inputIndex += 1
            case .video(let path):
                inputs += ["-stream_loop", "-1", "-t", seconds, "-i", "file:\(path)"]
                filters.append("[\(inputIndex):v]fps=\(fps),\(fit),\(trim)[\(label)]")
                inputIndex += 1
            }
            labels.append("[\(label)]")
        }
        filters.append("\(labels.joined())concat=n=\(labels.count):v=1:a=0[video]")
        let graph = filters.joined(separator: ";\n")
        var arguments = ["-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-nostats", "-progress", "pipe:1"] + inputs
        var audio: [String] = []
        if let song {
            arguments += ["-i", "file:\(song)"]
            audio = ["-map", "\(inputIndex):a:0", "-c:a", "aac", "-b:a", "160k"]
        }
        let inline = graph.utf8.count <= Self.inlineGraphLimit
        arguments += inline ? ["-filter_complex", graph] : ["-filter_complex_script", graphFile]
        arguments += ["-map", "[video]"] + audio
        arguments += [
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-r", "\(fps)",
            "-t", String(format: "%.6f", plan.duration), "-movflags", "+faststart", "-f", "mp4", "file:\(output)",
        ]
        return (arguments, inline ? nil : graph)
    }
}
