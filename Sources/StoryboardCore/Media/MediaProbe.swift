import Foundation

// Decides what an uploaded file is from its bytes (never from a declared Content-Type or file
// name) and reads an audio file's duration from the file itself. Pure Swift, no I/O of its own:
// the bytes come through `ByteSource`, which reads at random offsets, so a large file is never
// loaded whole (an M4A's moov box may sit after megabytes of sample data).

/// The audio containers the service accepts.
public enum AudioFormat: String, Sendable, CaseIterable {
    case wav, mp3, flac, ogg, m4a

    public var mimeType: String {
        switch self {
        case .wav: "audio/wav"
        case .mp3: "audio/mpeg"
        case .flac: "audio/flac"
        case .ogg: "audio/ogg"
        case .m4a: "audio/mp4"
        }
    }

    /// Without the dot.
    public var fileExtension: String { rawValue }

    var displayName: String { rawValue.uppercased() }
}

/// The image formats the service accepts. Nothing else: no SVG, no GIF, no HTML.
public enum VideoFormat: String, Sendable, CaseIterable {
    case mp4, webm, gif

    public var mimeType: String {
        switch self {
        case .mp4: "video/mp4"
        case .webm: "video/webm"
        case .gif: "image/gif"
        }
    }

    public var fileExtension: String { rawValue }
}

public enum ImageFormat: String, Sendable, CaseIterable {
    case png, jpeg, webp

    public var mimeType: String {
        switch self {
        case .png: "image/png"
        case .jpeg: "image/jpeg"
        case .webp: "image/webp"
        }
    }

    /// Without the dot.
    public var fileExtension: String {
        switch self {
        case .png: "png"
        case .jpeg: "jpg"
        case .webp: "webp"
        }
    }
}

/// Random access to the bytes of a file or buffer.
public protocol ByteSource {
    /// The total number of bytes.
    var count: Int { get }
    /// Up to `count` bytes starting at `offset`: fewer only where the source ends, none when
    /// `offset` is at or past the end (or negative). Throws only when reading fails.
    func bytes(at offset: Int, count: Int) throws -> [UInt8]
}

extension Array: ByteSource where Element == UInt8 {
    public func bytes(at offset: Int, count length: Int) -> [UInt8] {
        guard offset >= 0, length > 0, offset < count else { return [] }
        return Array(self[offset..<(offset + Swift.min(length, count - offset))])
    }
}

extension Data: ByteSource {
    public func bytes(at offset: Int, count length: Int) -> [UInt8] {
        guard offset >= 0, length > 0, offset < count else { return [] }
        let start = startIndex + offset
        return [UInt8](self[start..<(start + Swift.min(length, count - offset))])
    }
}

/// What `MediaProbe.audioInfo` found.
public struct AudioInfo: Sendable, Equatable {
    public var format: AudioFormat
    /// Seconds.
    public var duration: Double

    public init(format: AudioFormat, duration: Double) {
        self.format = format
        self.duration = duration
    }
}

/// Why a file was refused; `reason` is a sentence fit for an API error message.
public struct MediaProbeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }

    /// The file is none of the accepted audio formats.
    public static let notAudio = MediaProbeError("not a WAV, MP3, FLAC, OGG or M4A file")
}

public enum MediaProbe {
    /// How many leading bytes `audioFormat(prefix:)` and `imageFormat(prefix:)` need (or the
    /// whole file when it is shorter). MP3 without an ID3 tag is recognised by two consecutive
    /// frame headers, and the second one may start up to 2,881 bytes in; images need only 12.
    public static let prefixLength = 4096

    /// A quick look at the first bytes. `audioInfo` is the real check: it reads the whole
    /// structure and may still refuse a file that this accepts.
    public static func audioFormat(prefix: [UInt8]) -> AudioFormat? {
        if (prefix.has("RIFF", at: 0) || prefix.has("RF64", at: 0)) && prefix.has("WAVE", at: 8) { return .wav }
        if prefix.has("fLaC", at: 0) { return .flac }
        if prefix.has("OggS", at: 0), prefix.count > 4, prefix[4] == 0 { return .ogg }
        if prefix.has("ftyp", at: 4) { return .m4a }
        if id3TagLength(prefix) != nil { return .mp3 }
        if let first = MP3Frame(prefix, at: 0), let second = MP3Frame(prefix, at: first.length), second.matches(first) {
            return .mp3
        }
        return nil
    }

    public static func imageFormat(prefix: [UInt8]) -> ImageFormat? {
        if prefix.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if prefix.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if prefix.has("RIFF", at: 0) && prefix.has("WEBP", at: 8) { return .webp }
        return nil
    }

    /// Video (and animation) containers a generation server may return. An MP4 is told from an
    /// M4A by its brand.
    public static func videoFormat(prefix: [UInt8]) -> VideoFormat? {
        if prefix.has("ftyp", at: 4), !prefix.has("M4A ", at: 8), !prefix.has("M4B ", at: 8) { return .mp4 }
        if prefix.starts(with: [0x1A, 0x45, 0xDF, 0xA3]) { return .webm }
        if prefix.has("GIF87a", at: 0) || prefix.has("GIF89a", at: 0) { return .gif }
        return nil
    }

    /// The format and duration of an audio file, read from its structure (for MP3 without a
    /// Xing/Info or VBRI header, by walking every frame). Malformed or truncated input throws.
    public static func audioInfo(_ source: some ByteSource) throws(MediaProbeError) -> AudioInfo {
        let reader = ProbeReader(source)
        let prefix = try reader.read(0, prefixLength)
        guard let format = audioFormat(prefix: prefix) else { throw .notAudio }
        let duration: Double
        switch format {
        case .wav: duration = try wavDuration(reader)
        case .mp3: duration = try mp3Duration(reader)
        case .flac: duration = try flacDuration(reader)
        case .ogg: duration = try oggDuration(reader)
        case .m4a: duration = try m4aDuration(reader)
        }
        guard duration.isFinite, duration >= 0 else {
            throw MediaProbeError("the \(format.displayName) file states an impossible duration")
        }
        return AudioInfo(format: format, duration: duration)
    }

    /// Loops over chunks, boxes and tags stop after this many steps, whatever the file says.
    static let maxSteps = 100_000

    // MARK: WAV

    static func wavDuration(_ reader: ProbeReader) throws(MediaProbeError) -> Double {
        var offset = 12
        var byteRate: Int?
        var dataSize: Int?
        var steps = 0
        while steps < maxSteps, let header = try reader.exact(offset, 8) {
            steps += 1
            let size = header.le32(4)
            let body = offset + 8
            let remaining = reader.count - body
            if header.has("fmt ", at: 0) {
                guard size >= 16, let fmt = try reader.exact(body, 16) else {
                    throw MediaProbeError("the WAV's fmt chunk is truncated")
                }
                let declared = fmt.le32(8)
                byteRate = declared > 0 ? declared : fmt.le32(4) * fmt.le16(12)
            } else if header.has("data", at: 0) {
                let unbounded = size == 0xFFFF_FFFF || size > remaining
                dataSize = unbounded ? remaining : size
                if byteRate != nil || unbounded { break }
            }
            guard size <= remaining else { break }
            offset = body + size + (size & 1)
        }
        guard let dataSize else { throw MediaProbeError("the WAV has no data chunk") }
        guard let byteRate else { throw MediaProbeError("the WAV has no fmt chunk") }
        guard byteRate > 0 else { throw MediaProbeError("the WAV's byte rate is 0") }
        return Double(dataSize) / Double(byteRate)
    }

    // MARK: FLAC

    static func flacDuration(_ reader: ProbeReader) throws(MediaProbeError) -> Double {
        guard let head = try reader.exact(0, 8 + 34) else { throw MediaProbeError("the FLAC is truncated") }
        guard head[4] & 0x7F == 0, head.be24(5) >= 34 else {
            throw MediaProbeError("the FLAC does not start with a STREAMINFO block")
        }
        let info = 8
        let sampleRate = Int(head[info + 10]) << 12 | Int(head[info + 11]) << 4 | Int(head[info + 12]) >> 4
        let totalSamples = Int(head[info + 13] & 0x0F) << 32 | head.be32(info + 14)
        guard sampleRate > 0 else { throw MediaProbeError("the FLAC's sample rate is 0") }
        guard totalSamples > 0 else { throw MediaProbeError("the FLAC's length is unknown (STREAMINFO gives 0 samples)") }
        return Double(totalSamples) / Double(sampleRate)
    }

    // MARK: OGG

    static func oggDuration(_ reader: ProbeReader) throws(MediaProbeError) -> Double {
        guard let page = try reader.exact(0, 27), let lacing = try reader.exact(27, Int(page[26])) else {
            throw MediaProbeError("the OGG is truncated")
        }
        let serial = page.le32(14)
        var packetLength = 0
        for value in lacing {
            packetLength += Int(value)
            if value < 255 { break }
        }
        let packet = try reader.read(27 + lacing.count, min(packetLength, 64))
        let sampleRate: Int
        let preSkip: Int
        if packet.count >= 16, packet[0] == 1, packet.has("vorbis", at: 1) {
            sampleRate = packet.le32(12)
            preSkip = 0
        } else if packet.count >= 12, packet.has("OpusHead", at: 0) {
            sampleRate = 48000
            preSkip = packet.le16(10)
        } else {
            throw MediaProbeError("the OGG holds neither Vorbis nor Opus audio")
        }
        guard sampleRate > 0 else { throw MediaProbeError("the OGG's sample rate is 0") }

        // The last page of this stream that ends a packet carries the final granule position.
        // A page is at most 65,307 bytes, so a 128 KiB tail holds the start of the last one.
        let tailStart = max(0, reader.count - 128 * 1024)
        let tail = try reader.read(tailStart, reader.count - tailStart)
        var index = tail.count - 27
        while index >= 0 {
            if tail[index] == 0x4F, tail.has("OggS", at: index), tail[index + 4] == 0, tail.le32(index + 14) == serial {
                let granule = tail.le64(index + 6)
                if granule != UInt64.max {
                    guard granule <= UInt64(Int64.max) else { throw MediaProbeError("the OGG's last page is malformed") }
                    return max(0, Double(granule) - Double(preSkip)) / Double(sampleRate)
                }
            }
            index -= 1
        }
        throw MediaProbeError("the OGG's last page was not found (truncated file?)")
    }

    // MARK: M4A / MP4

    static func m4aDuration(_ reader: ProbeReader) throws(MediaProbeError) -> Double {
        guard let moov = try findBox("moov", reader, from: 0, to: reader.count) else {
            throw MediaProbeError("the M4A has no moov box (truncated file?)")
        }
        guard let mvhd = try findBox("mvhd", reader, from: moov.body, to: moov.end),
            let fields = try reader.exact(mvhd.body, 32), mvhd.end - mvhd.body >= (fields[0] == 1 ? 32 : 20)
        else { throw MediaProbeError("the M4A has no movie header (mvhd)") }
        let timescale: Int
        var duration: UInt64
        if fields[0] == 1 {
            timescale = fields.be32(20)
            duration = fields.be64(24)
        } else {
            timescale = fields.be32(12)
            duration = UInt64(fields.be32(16))
            if duration == 0xFFFF_FFFF { duration = UInt64.max }
        }
        guard timescale > 0 else { throw MediaProbeError("the M4A's timescale is 0") }
        if duration == 0,
            let mvex = try findBox("mvex", reader, from: moov.body, to: moov.end),
            let mehd = try findBox("mehd", reader, from: mvex.body, to: mvex.end),
            let header = try reader.exact(mehd.body, 12)
        {
            // Fragmented file: the movie extends header gives the whole length.
            duration = header[0] == 1 ? header.be64(4) : UInt64(header.be32(4))
        }
        guard duration > 0, duration != UInt64.max else { throw MediaProbeError("the M4A does not state its duration") }
        return Double(duration) / Double(timescale)
    }

    /// The first box of `type` among the sibling boxes in `start..<end`: where its body starts
    /// and where it ends (clamped to `end` when the file is cut short).
    static func findBox(
        _ type: String, _ reader: ProbeReader, from start: Int, to end: Int
    ) throws(MediaProbeError) -> (body: Int, end: Int)? {
        var offset = start
        var steps = 0
        while steps < maxSteps, end - offset >= 8, let header = try reader.exact(offset, 8) {
            steps += 1
            var size = header.be32(0)
            var headerSize = 8
            if size == 1 {
                guard let large = try reader.exact(offset + 8, 8) else { return nil }
                let value = large.be64(0)
                guard value <= UInt64(Int.max) else { throw MediaProbeError("the M4A has a malformed box size") }
                size = Int(value)
                headerSize = 16
            } else if size == 0 {
                size = end - offset
            }
            guard size >= headerSize else { throw MediaProbeError("the M4A has a malformed box size") }
            let fits = size <= end - offset
            if header.has(type, at: 4) { return (offset + headerSize, fits ? offset + size : end) }
            guard fits else { return nil }
            offset += size
        }
        return nil
    }

    // MARK: MP3

    static func mp3Duration(_ reader: ProbeReader) throws(MediaProbeError) -> Double {
        var start = 0
        for _ in 0..<16 {
            guard let header = try reader.exact(start, 10), let length = id3TagLength(header) else { break }
            guard length <= reader.count - start else { throw MediaProbeError("the MP3's ID3 tag runs past the end of the file") }
            start += length
        }
        var end = reader.count
        if end - start >= 128, let tag = try reader.exact(end - 128, 3), tag.has("TAG", at: 0) { end -= 128 }

        // The first frame: at the very start, or after the ID3 tag (allowing some padding).
        // Two consecutive consistent frames are required, so stray 0xFFE bits do not count.
        let lastCandidate = start == 0 ? 0 : min(end, start + 64 * 1024)
        var first: (offset: Int, frame: MP3Frame)?
        var candidate = start
        while candidate <= lastCandidate, first == nil {
            if let frame = try mp3Frame(reader, at: candidate, end: end),
                let next = try mp3Frame(reader, at: candidate + frame.length, end: end), next.matches(frame)
            {
                first = (candidate, frame)
            }
            candidate += 1
        }
        guard let first else { throw MediaProbeError("the MP3 has no audio frames") }
        let firstOffset = first.offset
        let reference = first.frame

        var walkFrom = firstOffset
        if reference.layer == 3, let frameBytes = try reader.exact(firstOffset, reference.length) {
            let available = end - firstOffset
            let tagOffset = 4 + (reference.hasCRC ? 2 : 0) + reference.sideInfoLength
            if frameBytes.has("Xing", at: tagOffset) || frameBytes.has("Info", at: tagOffset) {
                walkFrom = firstOffset + reference.length  // the tag frame holds no audio
                if frameBytes.count >= tagOffset + 16 {
                    let flags = frameBytes.be32(tagOffset + 4)
                    let frames = flags & 1 != 0 ? frameBytes.be32(tagOffset + 8) : 0
                    let streamBytes = flags & 2 != 0 ? frameBytes.be32(tagOffset + (flags & 1 != 0 ? 12 : 8)) : 0
                    // Trusted unless it cannot be true, or says the file was cut short.
                    if frames > 0, frames <= available / minimumFrameLength, streamBytes <= available + 8192 {
                        return Double(frames * reference.samples) / Double(reference.sampleRate)
                    }
                }
            } else if frameBytes.has("VBRI", at: 36), frameBytes.count >= 36 + 18 {
                walkFrom = firstOffset + reference.length
                let streamBytes = frameBytes.be32(36 + 10)
                let frames = frameBytes.be32(36 + 14)
                if frames > 0, frames <= available / minimumFrameLength, streamBytes <= available + 8192 {
                    return Double(frames * reference.samples) / Double(reference.sampleRate)
                }
            }
        }

        // No usable header: count every frame. Junk between frames is skipped by resyncing
        // on the next pair of consistent frames; junk at the end stops the walk.
        var samples = 0
        var offset = walkFrom
        while end - offset >= 4 {
            if let frame = try mp3Frame(reader, at: offset, end: end), frame.matches(reference) {
                samples += frame.samples
                offset += frame.length
            } else if let next = try resyncMP3(reader, after: offset, end: end, like: reference) {
                offset = next
            } else {
                break
            }
        }
        guard samples > 0 else { throw MediaProbeError("the MP3 has no audio frames") }
        return Double(samples) / Double(reference.sampleRate)
    }

    /// No frame is shorter than this (MPEG-2 layer III, 8 kbit/s, 24 kHz); bounds a header's frame count.
    static let minimumFrameLength = 24

    /// The frame whose header is at `offset`, if it is valid and ends by `end`.
    static func mp3Frame(_ reader: ProbeReader, at offset: Int, end: Int) throws(MediaProbeError) -> MP3Frame? {
        guard offset >= 0, end - offset >= 4, try reader.byte(offset) == 0xFF, let header = try reader.exact(offset, 4),
            let frame = MP3Frame(header, at: 0), frame.length <= end - offset
        else { return nil }
        return frame
    }

    static func resyncMP3(_ reader: ProbeReader, after offset: Int, end: Int, like reference: MP3Frame) throws(MediaProbeError) -> Int? {
        var candidate = offset + 1
        while end - candidate >= 4 {
            if try reader.byte(candidate) == 0xFF, let frame = try mp3Frame(reader, at: candidate, end: end), frame.matches(reference) {
                let next = candidate + frame.length
                if next == end { return candidate }
                if let following = try mp3Frame(reader, at: next, end: end), following.matches(reference) { return candidate }
            }
            candidate += 1
        }
        return nil
    }

    /// The total length of the ID3v2 tag these bytes start with (header, body and footer).
    static func id3TagLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 10, bytes.has("ID3", at: 0), (2...4).contains(bytes[3]), bytes[4] != 0xFF,
            bytes[6] < 0x80, bytes[7] < 0x80, bytes[8] < 0x80, bytes[9] < 0x80
        else { return nil }
        let size = Int(bytes[6]) << 21 | Int(bytes[7]) << 14 | Int(bytes[8]) << 7 | Int(bytes[9])
        let footer = bytes[3] == 4 && bytes[5] & 0x10 != 0 ? 10 : 0
        return 10 + size + footer
    }
}

/// One MPEG audio frame header (MPEG 1, 2 and 2.5; layers I, II and III).
struct MP3Frame: Equatable {
    enum Version: Equatable { case mpeg1, mpeg2, mpeg25 }

    var version: Version
    var layer: Int
    var sampleRate: Int
    var isMono: Bool
    var hasCRC: Bool
    /// Bytes, header included.
    var length: Int
    /// Samples per channel.
    var samples: Int

    /// Parses the 4 bytes at `offset`; nil unless they are a valid header (free-format
    /// bitrate, reserved values and reserved emphasis are refused).
    init?(_ bytes: [UInt8], at offset: Int) {
        guard offset >= 0, bytes.count - offset >= 4 else { return nil }
        let b1 = bytes[offset + 1]
        let b2 = bytes[offset + 2]
        let b3 = bytes[offset + 3]
        guard bytes[offset] == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        switch (b1 >> 3) & 3 {
        case 3: version = .mpeg1
        case 2: version = .mpeg2
        case 0: version = .mpeg25
        default: return nil
        }
        switch (b1 >> 1) & 3 {
        case 3: layer = 1
        case 2: layer = 2
        case 1: layer = 3
        default: return nil
        }
        let bitrateIndex = Int(b2 >> 4)
        let rateIndex = Int((b2 >> 2) & 3)
        guard bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3, b3 & 3 != 2 else { return nil }
        let bitrateTable: [Int] =
            switch (version, layer) {
            case (.mpeg1, 1): [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
            case (.mpeg1, 2): [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
            case (.mpeg1, _): [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
            case (_, 1): [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
            default: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
            }
        let bitrate = bitrateTable[bitrateIndex] * 1000
        let baseRate = [44100, 48000, 32000][rateIndex]
        sampleRate =
            switch version {
            case .mpeg1: baseRate
            case .mpeg2: baseRate / 2
            case .mpeg25: baseRate / 4
            }
        let padding = Int((b2 >> 1) & 1)
        isMono = b3 >> 6 == 3
        hasCRC = b1 & 1 == 0
        if layer == 1 {
            samples = 384
            length = (12 * bitrate / sampleRate + padding) * 4
        } else if layer == 3 && version != .mpeg1 {
            samples = 576
            length = 72 * bitrate / sampleRate + padding
        } else {
            samples = 1152
            length = 144 * bitrate / sampleRate + padding
        }
    }

    /// Frames of one stream share version, layer and sample rate.
    func matches(_ other: MP3Frame) -> Bool {
        version == other.version && layer == other.layer && sampleRate == other.sampleRate
    }

    /// Bytes of layer III side information after the header (and CRC).
    var sideInfoLength: Int {
        switch (version, isMono) {
        case (.mpeg1, true): 17
        case (.mpeg1, false): 32
        case (_, true): 9
        case (_, false): 17
        }
    }
}

/// Reads through a `ByteSource` with a 64 KiB window, so walking small structures (MP3 frame
/// headers, chunk headers) does not call the source for every few bytes. Converts the source's
/// errors to `MediaProbeError`. Used within one call only.
final class ProbeReader {
    let source: any ByteSource
    /// The source's count, lowered if a read comes back short (the file shrank, or the source
    /// overstated its size), so nothing asks again for bytes that are not there.
    private(set) var count: Int
    private var windowStart = 0
    private var window: [UInt8] = []
    private static let windowSize = 64 * 1024

    init(_ source: any ByteSource) {
        self.source = source
        self.count = max(0, source.count)
    }

    /// Up to `length` bytes at `offset` (fewer at the end of the file).
    func read(_ offset: Int, _ length: Int) throws(MediaProbeError) -> [UInt8] {
        guard offset >= 0, length > 0, offset < count else { return [] }
        let length = min(length, count - offset)
        if offset >= windowStart, length <= window.count - (offset - windowStart) {
            let start = offset - windowStart
            return Array(window[start..<(start + length)])
        }
        guard length <= Self.windowSize else { return try fetch(offset, length) }
        window = try fetch(offset, min(Self.windowSize, count - offset))
        windowStart = offset
        return Array(window.prefix(length))
    }

    /// Exactly `length` bytes at `offset`, or nil when the file ends sooner.
    func exact(_ offset: Int, _ length: Int) throws(MediaProbeError) -> [UInt8]? {
        guard length >= 0 else { return nil }
        let bytes = try read(offset, length)
        return bytes.count == length ? bytes : nil
    }

    func byte(_ offset: Int) throws(MediaProbeError) -> UInt8? {
        guard offset >= 0, offset < count else { return nil }
        if offset >= windowStart, offset - windowStart < window.count { return window[offset - windowStart] }
        window = try fetch(offset, min(Self.windowSize, count - offset))
        windowStart = offset
        return window.first
    }

    private func fetch(_ offset: Int, _ length: Int) throws(MediaProbeError) -> [UInt8] {
        do {
            let bytes = try source.bytes(at: offset, count: length)
            if bytes.count < length { count = offset + bytes.count }
            return bytes.count > length ? Array(bytes.prefix(length)) : bytes
        } catch {
            throw MediaProbeError("the file could not be read: \(error)")
        }
    }
}

extension [UInt8] {
    /// Whether the ASCII `text` is at `offset`.
    fileprivate func has(_ text: String, at offset: Int) -> Bool {
        let utf8 = text.utf8
        guard offset >= 0, count - offset >= utf8.count else { return false }
        return zip(self[offset...], utf8).allSatisfy { $0 == $1 }
    }

    // Fixed-width integers; out-of-range bytes read as 0 (callers check lengths first).
    private func at(_ index: Int) -> Int { indices.contains(index) ? Int(self[index]) : 0 }
    fileprivate func le16(_ i: Int) -> Int { at(i) | at(i + 1) << 8 }
    fileprivate func le32(_ i: Int) -> Int { le16(i) | le16(i + 2) << 16 }
    fileprivate func le64(_ i: Int) -> UInt64 { UInt64(le32(i)) | UInt64(le32(i + 4)) << 32 }
    fileprivate func be24(_ i: Int) -> Int { at(i) << 16 | at(i + 1) << 8 | at(i + 2) }
    fileprivate func be32(_ i: Int) -> Int { at(i) << 24 | be24(i + 1) }
    fileprivate func be64(_ i: Int) -> UInt64 { UInt64(be32(i)) << 32 | UInt64(be32(i + 4)) }
}
