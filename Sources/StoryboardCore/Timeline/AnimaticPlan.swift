import Foundation

/// What an animatic shows for one clip: its still (held) or its video (trimmed or looped).
public enum AnimaticMedia: Sendable, Equatable {
    case still(path: String)
    case video(path: String)
}

/// A clip laid on the song, with the media it shows.
public struct AnimaticClip: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var media: AnimaticMedia

    public init(start: Double, end: Double, media: AnimaticMedia) {
        self.start = start
        self.end = end
        self.media = media
    }
}

/// The animatic as a run of whole-frame segments, each black or one clip's media from a
/// frame offset into that clip. Counting in frames makes the output exactly
/// `totalFrames` long, so its duration is within half a frame of the song's.
public struct AnimaticPlan: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var frames: Int
        /// nil: black.
        public var media: AnimaticMedia?
        /// Frames into the clip where this segment starts (a clip interrupted by an overlapping
        /// one resumes where it would be).
        public var offsetFrames: Int
    }

    public var fps: Int
    public var totalFrames: Int
    public var segments: [Segment]

    public var duration: Double { Double(totalFrames) / Double(fps) }

    /// Lays `clips` over `duration` seconds at `fps`. Where clips overlap, the one that starts
    /// later is shown (as if each were laid on top of the ones before it); what no clip covers
    /// is black; anything past `duration` is cut.
    public init(clips: [AnimaticClip], duration: Double, fps: Int) {
        self.fps = fps
        let total = max(0, Int((duration * Double(fps)).rounded()))
        self.totalFrames = total
        func frame(_ seconds: Double) -> Int { min(total, max(0, Int((seconds * Double(fps)).rounded()))) }
        let spans = clips.enumerated().map {
            (index: $0.offset, start: frame($0.element.start), end: frame($0.element.end), clip: $0.element)
        }
        .filter { $0.end > $0.start }
        var boundaries = Set([0, total])
        for span in spans {
            boundaries.insert(span.start)
            boundaries.insert(span.end)
        }
        let cuts = boundaries.sorted()
        var segments: [Segment] = []
        var previousOwner: Int?
        for (from, to) in zip(cuts, cuts.dropFirst()) where to > from {
            // Every boundary is a cut, so a span either covers the whole interval or none of it.
            let owner = spans.filter { $0.start <= from && $0.end >= to }.max { ($0.clip.start, $0.index) < ($1.clip.start, $1.index) }
            if let last = segments.indices.last, previousOwner == owner?.index {
                segments[last].frames += to - from
            } else {
                segments.append(Segment(frames: to - from, media: owner?.clip.media, offsetFrames: owner.map { from - $0.start } ?? 0))
            }
            previousOwner = owner?.index
        }
        self.segments = segments
    }
}
