import Foundation
import StoryboardCore
import Testing

@Suite("Animatic plan")
struct AnimaticPlanTests {
    let a = AnimaticMedia.still(path: "/m/a.png")
    let b = AnimaticMedia.video(path: "/m/b.mp4")

    @Test("whole frames: black before, between and after clips; the total is the song's length in frames")
    func gaps() {
        let plan = AnimaticPlan(
            clips: [AnimaticClip(start: 0.5, end: 1.5, media: a), AnimaticClip(start: 2, end: 2.5, media: b)], duration: 3, fps: 10)
        #expect(plan.totalFrames == 30)
        #expect(plan.segments.map(\.frames) == [5, 10, 5, 5, 5])
        #expect(plan.segments.map(\.media) == [nil, a, nil, b, nil])
        #expect(plan.segments.reduce(0) { $0 + $1.frames } == plan.totalFrames)
        #expect(abs(plan.duration - 3) < 1e-9)
    }

    @Test("overlaps: the later start is shown, and the earlier clip resumes at its own offset; past the song is cut")
    func overlaps() {
        let plan = AnimaticPlan(
            clips: [
                AnimaticClip(start: 0, end: 4, media: b), AnimaticClip(start: 1, end: 2, media: a),
                AnimaticClip(start: 3.5, end: 9, media: a),
            ], duration: 5, fps: 2)
        #expect(plan.segments.map(\.frames) == [2, 2, 3, 3])
        #expect(plan.segments.map(\.media) == [b, a, b, a])
        #expect(plan.segments.map(\.offsetFrames) == [0, 0, 4, 0])
    }

    @Test("no clips: all black; a clip shorter than half a frame shows nothing")
    func empty() {
        let black = AnimaticPlan(clips: [], duration: 2, fps: 5).segments
        #expect(black.map(\.frames) == [10])
        #expect(black.map(\.media) == [nil])
        #expect(AnimaticPlan(clips: [AnimaticClip(start: 1, end: 1.01, media: a)], duration: 2, fps: 5).segments.map(\.media) == [nil])
    }
}
