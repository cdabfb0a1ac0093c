import Foundation
import StoryboardCore
import Testing

/// `Tests/Fixtures/media/`, found from this file (this target does not depend on
/// StoryboardTestSupport, whose `MediaFixtures` does the same).
private let mediaDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .appendingPathComponent("Fixtures", isDirectory: true)
    .appendingPathComponent("media", isDirectory: true)

private func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: mediaDirectory.appendingPathComponent(name)))
}

struct AudioFixture: Sendable, CustomTestStringConvertible {
    var name: String
    var format: AudioFormat
    /// Seconds (see the note on `audioFixtures`).
    var duration: Double
    var testDescription: String { name }
}

/// Expected durations, checked with ffprobe. Each file is a 2.0 s sine tone, but the MP3s are
/// longer: LAME adds 1,105 samples of encoder delay and pads to whole frames, so all four hold
/// 79 frames × 576 samples at 22,050 Hz = 2.063673 s, which is what ffprobe reports for the three
/// with a Xing/Info header. For `tone-vbr-noheader.mp3` ffprobe only estimates from the bitrate
/// (2.0856 s); `ffprobe -count_frames` counts the same 79 frames, so 2.063673 s is the truth.
/// For the Opus file ffprobe says 2.0065 s because it does not subtract the 312-sample pre-skip;
/// the probe does (as players do), giving the tone's 2.0 s. Tolerance: 0.05 s for every file;
/// in practice the probe matches these values to the microsecond.
let audioFixtures: [AudioFixture] = [
    AudioFixture(name: "tone.wav", format: .wav, duration: 2.0),
    AudioFixture(name: "tone.mp3", format: .mp3, duration: 2.063673),
    AudioFixture(name: "tone-vbr.mp3", format: .mp3, duration: 2.063673),
    AudioFixture(name: "tone-vbr-noheader.mp3", format: .mp3, duration: 2.063673),
    AudioFixture(name: "tone-id3.mp3", format: .mp3, duration: 2.063673),
    AudioFixture(name: "tone.flac", format: .flac, duration: 2.0),
    AudioFixture(name: "tone.ogg", format: .ogg, duration: 2.0),
    AudioFixture(name: "tone.opus", format: .ogg, duration: 2.0),
    AudioFixture(name: "tone.m4a", format: .m4a, duration: 2.0),
]

private let tolerance = 0.05

/// Runs the probe, turning its typed error into a value so tests can look at both outcomes.
private func probe(_ bytes: [UInt8]) -> Result<AudioInfo, MediaProbeError> {
    Result { () throws(MediaProbeError) -> AudioInfo in try MediaProbe.audioInfo(bytes) }
}

/// A ByteSource that counts how often it is read, to show the probe reads in windows rather
/// than once per frame header.
private final class CountingSource: ByteSource {
    let data: [UInt8]
    var calls = 0
    init(_ data: [UInt8]) { self.data = data }
    var count: Int { data.count }
    func bytes(at offset: Int, count length: Int) throws -> [UInt8] {
        calls += 1
        return data.bytes(at: offset, count: length)
    }
}

/// Claims to be 10 MB but holds only `data`: the probe must stop where the bytes stop.
private struct OverstatedSource: ByteSource {
    var data: [UInt8]
    var count: Int { 10_000_000 }
    func bytes(at offset: Int, count length: Int) throws -> [UInt8] { data.bytes(at: offset, count: length) }
}

private struct FailingSource: ByteSource {
    struct Broken: Error {}
    var count: Int { 1000 }
    func bytes(at offset: Int, count: Int) throws -> [UInt8] { throw Broken() }
}

/// A small deterministic generator, so the corruption test is repeatable.
private struct SplitMix {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}

private func wav(dataSize: UInt32, payload: Int, byteRate: UInt32 = 8000, extraChunk: [UInt8] = []) -> [UInt8] {
    func le32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian, Array.init) }
    var bytes = Array("RIFF".utf8) + le32(0xFFFF_FFFF) + Array("WAVE".utf8)
    bytes += extraChunk
    bytes += Array("fmt ".utf8) + le32(16) + [1, 0, 1, 0] + le32(byteRate) + le32(byteRate) + [1, 0, 8, 0]
    bytes += Array("data".utf8) + le32(dataSize) + [UInt8](repeating: 0x80, count: payload)
    return bytes
}

@Suite("Media probe", .timeLimit(.minutes(2)))
struct MediaProbeTests {
    @Test("every audio fixture: format and duration", arguments: audioFixtures)
    func audioFixture(_ fixture: AudioFixture) throws {
        let bytes = try MediaProbeTests.load(fixture.name)
        #expect(MediaProbe.audioFormat(prefix: Array(bytes.prefix(MediaProbe.prefixLength))) == fixture.format)
        #expect(MediaProbe.imageFormat(prefix: Array(bytes.prefix(MediaProbe.prefixLength))) == nil)

        let info = try MediaProbe.audioInfo(bytes)
        #expect(info.format == fixture.format)
        #expect(
            abs(info.duration - fixture.duration) < tolerance, "\(fixture.name): \(info.duration) s, ffprobe says \(fixture.duration) s")

        // Data (also a slice that does not start at index 0) and a source with tiny reads agree.
        let data = Data([0xAA, 0xBB] + bytes).dropFirst(2)
        #expect(try MediaProbe.audioInfo(data) == info)
        let counting = CountingSource(bytes)
        #expect(try MediaProbe.audioInfo(counting) == info)
        #expect(counting.calls <= 3, "\(counting.calls) reads")
    }

    @Test("the VBR MP3 without a header is measured by walking every frame")
    func walkedMP3() throws {
        let bytes = try MediaProbeTests.load("tone-vbr-noheader.mp3")
        #expect(!bytes.starts(with: Array("ID3".utf8)))
        let info = try MediaProbe.audioInfo(bytes)
        // 79 frames of 576 samples at 22,050 Hz, exactly.
        #expect(abs(info.duration - 79.0 * 576.0 / 22050.0) < 1e-9)

        // Junk in the middle is skipped (resync), an ID3v1 tag and junk at the end are ignored.
        var damaged = bytes
        damaged.insert(contentsOf: [UInt8](repeating: 0x42, count: 300) + [0xFF, 0xF3, 0x00], at: 1000 - (1000 % 2))
        let idv1 = Array("TAG".utf8) + [UInt8](repeating: 0xFF, count: 125)
        let resynced = try MediaProbe.audioInfo(damaged + idv1)
        #expect(abs(resynced.duration - info.duration) < 0.06)  // at most the one frame cut by the junk
        let padded = try MediaProbe.audioInfo(bytes + idv1 + [UInt8](repeating: 0, count: 500))
        #expect(abs(padded.duration - info.duration) < 1e-9)
    }

    @Test("MP3: the frame count of a Xing or VBRI header is used when present")
    func mp3Headers() throws {
        // tone-vbr.mp3 starts with a Xing frame (MPEG-2 layer III, mono: tag at 4 + 9 = 13)
        // whose frame count (79) is at 13 + 8. Claim 100 frames instead: 100 × 576 / 22,050 s.
        var xing = try MediaProbeTests.load("tone-vbr.mp3")
        #expect(xing[13...16] == Array("Xing".utf8)[...])
        xing[21...24] = [0, 0, 0, 100]
        #expect(abs(try MediaProbe.audioInfo(xing).duration - 100 * 576 / 22050.0) < 1e-9)
        // A count that cannot fit in the file is not believed: the frames are walked instead.
        xing[21...24] = [0x7F, 0, 0, 0]
        #expect(abs(try MediaProbe.audioInfo(xing).duration - 79 * 576 / 22050.0) < 1e-9)

        // A VBRI frame (tag always 36 bytes in) in front of the headerless stream.
        let stream = try MediaProbeTests.load("tone-vbr-noheader.mp3")
        guard let first = MediaProbe.audioFormat(prefix: stream) == .mp3 ? stream.prefix(4) : nil else {
            Issue.record("fixture is not MP3")
            return
        }
        var vbri = [UInt8](repeating: 0, count: 365)  // MPEG-2 layer III, 112 kbit/s, 22,050 Hz
        vbri[0...3] = first
        vbri[36...39] = Array("VBRI".utf8)[...]
        vbri[50...53] = [0, 0, 0, 100]
        #expect(abs(try MediaProbe.audioInfo(vbri + stream).duration - 100 * 576 / 22050.0) < 1e-9)
    }

    @Test(
        "images are recognised from their bytes", arguments: [("still.png", ImageFormat.png), ("still.jpg", .jpeg), ("still.webp", .webp)])
    func images(name: String, format: ImageFormat) throws {
        let bytes = try MediaProbeTests.load(name)
        #expect(MediaProbe.imageFormat(prefix: bytes) == format)
        #expect(MediaProbe.imageFormat(prefix: Array(bytes.prefix(12))) == format)
        #expect(MediaProbe.audioFormat(prefix: bytes) == nil)
        #expect(probe(bytes) == .failure(.notAudio))
    }

    @Test("HTML, SVG and random bytes are refused", arguments: ["page.html", "image.svg", "random.bin"])
    func refused(name: String) throws {
        let bytes = try MediaProbeTests.load(name)
        #expect(MediaProbe.imageFormat(prefix: bytes) == nil)
        #expect(MediaProbe.audioFormat(prefix: bytes) == nil)
        #expect(probe(bytes) == .failure(.notAudio))
        #expect(MediaProbe.notAudioMessage == "not a WAV, MP3, FLAC, OGG or M4A file")
    }

    @Test("truncated audio never crashes and never grows", arguments: audioFixtures)
    func truncated(_ fixture: AudioFixture) throws {
        let bytes = try MediaProbeTests.load(fixture.name)
        let full = try MediaProbe.audioInfo(bytes).duration
        var cuts = [0, 1, 2, 3, 4, 8, 10, 11, 12, 16, 20, 27, 28, 36, 40, 42, 44, 45, 50, 64, 100, 128, 200, 417, 500, 1000, 2000, 4096]
        cuts += [bytes.count / 3, bytes.count / 2, bytes.count - 200, bytes.count - 129, bytes.count - 27, bytes.count - 1]
        for cut in cuts where cut >= 0 && cut < bytes.count {
            switch probe(Array(bytes.prefix(cut))) {
            case .success(let info):
                #expect(info.duration.isFinite && info.duration >= 0)
                #expect(info.duration <= full + 0.001, "\(fixture.name) cut at \(cut): \(info.duration) s")
            case .failure(let error):
                #expect(!error.reason.isEmpty)
            }
        }
    }

    @Test("corrupted audio never crashes", arguments: audioFixtures)
    func corrupted(_ fixture: AudioFixture) throws {
        let bytes = try MediaProbeTests.load(fixture.name)
        var random = SplitMix(state: UInt64(bytes.count))
        for _ in 0..<150 {
            var damaged = bytes
            for _ in 0..<(1 + random.below(8)) {
                // Mostly the first 200 bytes, where the structure is.
                let index = random.below(2) == 0 ? random.below(min(200, damaged.count)) : random.below(damaged.count)
                damaged[index] = UInt8(truncatingIfNeeded: random.next())
            }
            if case .success(let info) = probe(damaged) {
                #expect(info.duration.isFinite && info.duration >= 0)
            }
        }
    }

    @Test("WAV: a data size past the end of the file, or 0xFFFFFFFF, means the rest of the file")
    func hugeWAVDataSize() throws {
        #expect(try MediaProbe.audioInfo(wav(dataSize: 8000, payload: 8000)) == AudioInfo(format: .wav, duration: 1.0))
        #expect(try MediaProbe.audioInfo(wav(dataSize: 0x7FFF_FFF0, payload: 8000)).duration == 1.0)
        #expect(try MediaProbe.audioInfo(wav(dataSize: 0xFFFF_FFFF, payload: 4000)).duration == 0.5)
        // An odd-sized chunk before fmt is followed by a pad byte.
        let list = Array("LIST".utf8) + [3, 0, 0, 0] + [1, 2, 3] + [0]
        #expect(try MediaProbe.audioInfo(wav(dataSize: 16000, payload: 16000, extraChunk: list)).duration == 2.0)
        // Zero-sized chunks (thousands of them) end without looping forever.
        let empties = [UInt8]((0..<5000).flatMap { _ in Array("junk".utf8) + [0, 0, 0, 0] })
        #expect(try MediaProbe.audioInfo(wav(dataSize: 8000, payload: 8000, extraChunk: empties)).duration == 1.0)
        // A byte rate of 0 is refused, not divided by.
        #expect(probe(wav(dataSize: 8000, payload: 8000, byteRate: 0)) == .failure(MediaProbeError("the WAV's byte rate is 0")))
        // Only the header: no data chunk.
        #expect(probe(Array(wav(dataSize: 0, payload: 0).prefix(36))) == .failure(MediaProbeError("the WAV has no data chunk")))
    }

    @Test("MP3: one valid frame header followed by garbage is not MP3")
    func oneFrameThenGarbage() {
        // MPEG-1 layer III, 128 kbit/s, 44.1 kHz: a 417-byte frame; the next header would be at 417.
        var random = SplitMix(state: 7)
        var bytes: [UInt8] = [0xFF, 0xFB, 0x90, 0x64]
        bytes += (4..<2000).map { _ in UInt8(truncatingIfNeeded: random.next()) & 0x7F }  // never 0xFF
        #expect(MediaProbe.audioFormat(prefix: bytes) == nil)
        #expect(probe(bytes) == .failure(.notAudio))

        // Behind an ID3 tag the format is MP3, but there are no two consecutive frames.
        let tagged: [UInt8] = Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 10] + [UInt8](repeating: 0, count: 10) + bytes
        #expect(MediaProbe.audioFormat(prefix: tagged) == .mp3)
        #expect(probe(tagged) == .failure(MediaProbeError("the MP3 has no audio frames")))

        // Two real frames in a row are enough.
        var two = [UInt8](repeating: 0, count: 834)
        two[0...3] = [0xFF, 0xFB, 0x90, 0x64]
        two[417...420] = [0xFF, 0xFB, 0x90, 0x64]
        #expect(MediaProbe.audioFormat(prefix: two) == .mp3)
        let info = try? MediaProbe.audioInfo(two)
        #expect(info.map { abs($0.duration - 2 * 1152 / 44100.0) < 1e-9 } == true)
    }

    @Test("MP3: an ID3 tag claiming a size past the end of the file")
    func id3PastTheEnd() {
        let bytes: [UInt8] = Array("ID3".utf8) + [4, 0, 0x10, 0x7F, 0x7F, 0x7F, 0x7F] + [UInt8](repeating: 0xFF, count: 600)
        #expect(MediaProbe.audioFormat(prefix: bytes) == .mp3)
        #expect(probe(bytes) == .failure(MediaProbeError("the MP3's ID3 tag runs past the end of the file")))
    }

    @Test("FLAC whose STREAMINFO gives 0 samples has an unknown length")
    func flacUnknownLength() throws {
        var bytes = try MediaProbeTests.load("tone.flac")
        bytes[21] &= 0xF0
        bytes[22...25] = [0, 0, 0, 0]
        guard case .failure(let error) = probe(bytes) else {
            Issue.record("accepted a FLAC of unknown length")
            return
        }
        #expect(error.reason.contains("unknown"))
    }

    @Test("M4A: malformed boxes are refused, 64-bit and to-the-end sizes are followed")
    func m4aBoxes() throws {
        func be32(_ value: UInt32) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        func be64(_ value: UInt64) -> [UInt8] { withUnsafeBytes(of: value.bigEndian, Array.init) }
        let ftyp = be32(20) + Array("ftypM4A ".utf8) + be32(0) + Array("isom".utf8)
        // mvhd version 1: timescale 1000, duration 90,500 → 90.5 s.
        let mvhdBody: [UInt8] = [1, 0, 0, 0] + be64(0) + be64(0) + be32(1000) + be64(90_500) + [UInt8](repeating: 0, count: 80)
        let mvhd = be32(UInt32(8 + mvhdBody.count)) + Array("mvhd".utf8) + mvhdBody
        let mdat = be32(1) + Array("mdat".utf8) + be64(16 + 100) + [UInt8](repeating: 0, count: 100)
        let moov = be32(0) + Array("moov".utf8) + mvhd  // size 0: to the end of the file
        #expect(try MediaProbe.audioInfo(ftyp + mdat + moov) == AudioInfo(format: .m4a, duration: 90.5))

        // A box smaller than its header (here 0 in a 64-bit size, and 4) is an error, not a loop.
        let zero64 = be32(1) + Array("free".utf8) + be64(0)
        #expect(probe(ftyp + zero64 + moov) == .failure(MediaProbeError("the M4A has a malformed box size")))
        #expect(probe(ftyp + be32(4) + Array("free".utf8) + moov) == .failure(MediaProbeError("the M4A has a malformed box size")))
        // A box whose size runs past the end hides the rest: no moov.
        #expect(probe(ftyp + be64(UInt64.max) + moov).isFailure)
        // No moov at all.
        #expect(probe(ftyp + mdat) == .failure(MediaProbeError("the M4A has no moov box (truncated file?)")))
    }

    @Test("OGG that is neither Vorbis nor Opus is refused")
    func oggOther() throws {
        var bytes = try MediaProbeTests.load("tone.opus")
        guard let head = bytes.firstRange(of: Array("OpusHead".utf8)) else {
            Issue.record("no OpusHead in the fixture")
            return
        }
        bytes.replaceSubrange(head, with: Array("Speex   ".utf8))
        #expect(probe(bytes) == .failure(MediaProbeError("the OGG holds neither Vorbis nor Opus audio")))
    }

    @Test("a source that fails to read gives a MediaProbeError; one that overstates its size is cut short")
    func misbehavingSources() throws {
        #expect(throws: MediaProbeError.self) { try MediaProbe.audioInfo(FailingSource()) }
        for name in ["tone-vbr-noheader.mp3", "tone.wav", "tone.flac", "tone.opus"] {
            let bytes = try MediaProbeTests.load(name)
            let honest = try MediaProbe.audioInfo(bytes)
            #expect(try MediaProbe.audioInfo(OverstatedSource(data: bytes)) == honest)
        }
    }

    @Test("MIME types and extensions")
    func names() {
        #expect(AudioFormat.allCases.map(\.mimeType) == ["audio/wav", "audio/mpeg", "audio/flac", "audio/ogg", "audio/mp4"])
        #expect(AudioFormat.allCases.map(\.fileExtension) == ["wav", "mp3", "flac", "ogg", "m4a"])
        #expect(ImageFormat.allCases.map(\.mimeType) == ["image/png", "image/jpeg", "image/webp"])
        #expect(ImageFormat.allCases.map(\.fileExtension) == ["png", "jpg", "webp"])
    }

    static func load(_ name: String) throws -> [UInt8] { try fixture(name) }
}

extension Result {
    fileprivate var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}

extension MediaProbe {
    fileprivate static var notAudioMessage: String { MediaProbeError.notAudio.reason }
}
