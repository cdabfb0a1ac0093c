import Foundation
import StoryboardCore
import Testing

@testable import StoryboardServices

@Suite("Animatic ffmpeg command")
struct AnimaticCommandTests {
    @Test("paths go in as file: inputs of their own; nothing else but numbers and our labels")
    func arguments() {
        let plan = AnimaticPlan(clips: [AnimaticClip(start: 0, end: 1, media: .still(path: "/data/media/-x.png"))], duration: 2, fps: 4)
        let command = AnimaticCommand(
            plan: plan, width: 320, height: 180, song: "/data/media/song.mp3", output: "/data/media/tmp/o.mp4",
            graphFile: "/data/media/tmp/g.txt")
        let (arguments, graph) = command.arguments()
        #expect(graph == nil)
        #expect(arguments.contains("file:/data/media/-x.png"))
        #expect(!arguments.contains("/data/media/-x.png"))
        #expect(arguments.contains("file:/data/media/song.mp3"))
        #expect(arguments.last == "file:/data/media/tmp/o.mp4")
        let filter = arguments[arguments.firstIndex(of: "-filter_complex").map { $0 + 1 } ?? 0]
        #expect(filter.contains("concat=n=2:v=1:a=0[video]"))
        #expect(!filter.contains("/data"))
    }

    @Test("a graph too long for one argument is written to a file")
    func longGraph() {
        let clips = (0..<2000).map { AnimaticClip(start: Double($0), end: Double($0) + 0.5, media: .still(path: "/m/\($0).png")) }
        let plan = AnimaticPlan(clips: clips, duration: 2000, fps: 2)
        let (arguments, graph) = AnimaticCommand(plan: plan, width: 64, height: 64, song: nil, output: "/o.mp4", graphFile: "/g.txt")
            .arguments()
        #expect(graph != nil)
        #expect(arguments.contains("-filter_complex_script"))
        #expect(arguments.allSatisfy { $0.utf8.count < 100_000 })
    }
}
