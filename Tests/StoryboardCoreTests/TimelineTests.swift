import Foundation
import StoryboardCore
import Testing

@Suite("Timeline and prompts")
struct TimelineTests {
    func span(_ start: Double, _ length: Double) -> TimelineSpan { TimelineSpan(id: UUID(), start: start, length: length) }

    @Test("touching is not overlapping; suggestions walk past each hit, rounded to 2 decimals")
    func suggestions() {
        let a = span(0, 2)
        let b = span(2, 2)
        let c = span(4.333, 1)
        #expect(!a.overlaps(b))
        #expect(span(1.9, 1).overlaps(b))
        let moving = span(1, 2)
        #expect(Timeline.firstOverlap(of: moving, among: [a, b, c])?.id == a.id)
        // 1–3 hits a (→ 2.1), 2.1–4.1 hits b (→ 4.1), 4.1–6.1 hits c (→ 5.43).
        #expect(Timeline.suggestedPosition(for: moving, among: [c, b, a]) == 5.43)
        #expect(Timeline.suggestedPosition(for: span(10, 1), among: [a, b, c]) == 10)
    }

    @Test("analysis: gaps over 0.1 s between clips, every overlapping pair once, the end against the song")
    func analysis() {
        let a = span(0, 2)
        let b = span(2.05, 2)
        let c = span(5, 3)
        let d = span(6, 1)
        let e = span(7.5, 2)
        let result = Timeline.analyze([e, d, c, b, a], musicDuration: 9)
        #expect(result.totalClips == 5)
        #expect(result.totalDuration == 10)
        #expect(result.timelineEnd == 9.5)
        #expect(result.gaps.map(\.start) == [4.05])
        #expect(result.gaps.first?.beforeClipID == b.id)
        #expect(Set(result.overlaps.map { Set([$0.clipID, $0.otherClipID]) }) == [Set([c.id, d.id]), Set([c.id, e.id])])
        #expect(result.pastMusicEnd == [e.id])
        #expect(result.musicFit == "longer_than_music")
        #expect(result.hasIssues)
        let clean = Timeline.analyze([span(0, 2), span(2, 2)], musicDuration: 4.05)
        #expect(!clean.hasIssues)
        #expect(clean.musicFit == "matches_music")
        #expect(Timeline.analyze([], musicDuration: nil).musicFit == "no_music")
    }

    @Test("a character is composed into a prompt once, and replaces the one applied before")
    func characters() {
        let mira = ProjectCharacter(projectID: UUID(), name: "Mira", description: "a pilot", triggerWords: ["mira_tw"], styleNotes: "ink")
        let once = PromptComposer.apply(mira, to: "at dawn")
        #expect(once == "mira_tw Mira, a pilot. Style: ink at dawn")
        #expect(PromptComposer.apply(mira, to: once) == once)
        #expect(PromptComposer.apply(mira, to: nil) == "mira_tw Mira, a pilot. Style: ink")
        let juno = ProjectCharacter(projectID: UUID(), name: "Juno")
        #expect(PromptComposer.apply(juno, to: once, replacing: mira) == "Juno at dawn")
        #expect(
            PromptComposer.render(template: "{prompt} | {lyrics} | {character} | {other}", prompt: "p", lyrics: nil, character: "c")
                == "p |  | c | {other}")
    }
}
