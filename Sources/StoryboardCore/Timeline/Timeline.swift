import Foundation

/// A clip as the timeline sees it: where it starts and how long it runs, in song seconds.
public struct TimelineSpan: Sendable, Equatable {
    public var id: UUID
    public var start: Double
    public var length: Double

    public init(id: UUID, start: Double, length: Double) {
        self.id = id
        self.start = start
        self.length = length
    }

    public var end: Double { start + length }

    /// Touching (one ends where the other starts) is not an overlap (docs/domain.md).
    public func overlaps(_ other: TimelineSpan) -> Bool {
        start < other.end && end > other.start
    }
}

/// Timeline rules carried over from the old system (docs/domain.md): overlap suggestions and the
/// analysis of gaps, overlaps and the end against the song.
public enum Timeline {
    public static let maxPosition = 10_000.0
    /// Gaps at most this long are not reported.
    public static let gapTolerance = 0.1

    /// Where `span` could go instead: walk the others in position order, jumping past each one
    /// it hits (`other_end + 0.1`), rounded to 2 decimals.
    public static func suggestedPosition(for span: TimelineSpan, among others: [TimelineSpan]) -> Double {
        var candidate = TimelineSpan(id: span.id, start: span.start, length: span.length)
        for other in others.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) where other.id != span.id {
            if candidate.overlaps(other) {
                candidate.start = ((other.end + gapTolerance) * 100).rounded() / 100
            }
        }
        return (candidate.start * 100).rounded() / 100
    }

    /// The first other span that `span` overlaps, if any.
    public static func firstOverlap(of span: TimelineSpan, among others: [TimelineSpan]) -> TimelineSpan? {
        others.filter { $0.id != span.id && span.overlaps($0) }.min { $0.start < $1.start }
    }

    public struct Gap: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var beforeClipID: UUID
        public var afterClipID: UUID
        public var duration: Double { end - start }
    }

    public struct Overlap: Sendable, Equatable {
        public var clipID: UUID
        public var otherClipID: UUID
        public var start: Double
        public var end: Double
        public var duration: Double { end - start }
    }

    public struct Analysis: Sendable, Equatable {
        public var totalClips: Int
        /// Sum of the clips' lengths.
        public var totalDuration: Double
        /// The latest end of any clip (0 with no clips).
        public var timelineEnd: Double
        public var gaps: [Gap]
        public var overlaps: [Overlap]
        public var musicDuration: Double?
        /// Clips that end after the song does.
        public var pastMusicEnd: [UUID]

        public var hasIssues: Bool { !gaps.isEmpty || !overlaps.isEmpty || !pastMusicEnd.isEmpty }

        /// "no_music", "shorter_than_music", "matches_music" (within 0.1 s) or "longer_than_music".
        public var musicFit: String {
            guard let musicDuration else { return "no_music" }
            if abs(timelineEnd - musicDuration) <= gapTolerance { return "matches_music" }
            return timelineEnd < musicDuration ? "shorter_than_music" : "longer_than_music"
        }
    }

    /// Gaps longer than 0.1 s between consecutive clips, every overlapping pair, and the end
    /// against the song. O(n log n + overlapping pairs).
    public static func analyze(_ spans: [TimelineSpan], musicDuration: Double?) -> Analysis {
        let sorted = spans.sorted { ($0.start, $0.end, $0.id.uuidString) < ($1.start, $1.end, $1.id.uuidString) }
        var gaps: [Gap] = []
        var overlaps: [Overlap] = []
        // Spans still running at the current start, for pairwise overlaps.
        var active: [TimelineSpan] = []
        var reach: TimelineSpan?
        for span in sorted {
            active.removeAll { $0.end <= span.start }
            for other in active where other.overlaps(span) {
                overlaps.append(Overlap(clipID: other.id, otherClipID: span.id, start: span.start, end: min(other.end, span.end)))
            }
            active.append(span)
            if let previous = reach, span.start - previous.end > gapTolerance {
                gaps.append(Gap(start: previous.end, end: span.start, beforeClipID: previous.id, afterClipID: span.id))
            }
            if reach == nil || span.end > (reach?.end ?? 0) { reach = span }
        }
        let end = sorted.map(\.end).max() ?? 0
        let past = musicDuration.map { duration in sorted.filter { $0.end > duration + 1e-9 }.map(\.id) } ?? []
        return Analysis(
            totalClips: spans.count, totalDuration: spans.reduce(0) { $0 + $1.length }, timelineEnd: end, gaps: gaps, overlaps: overlaps,
            musicDuration: musicDuration, pastMusicEnd: past
        )
    }
}
