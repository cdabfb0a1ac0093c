import Crypto
import Foundation
import Logging
import StoryboardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// What an upload may be: decided from the bytes, never from the declared type or a name.
public enum MediaExpectation: Sendable {
    case audio
    case image
    /// A generation server's output: an image, or a video or animation.
    case generated
}

/// A file that has arrived and been identified, still under its temporary name until
/// `MediaCatalog.commit` registers it and moves it into place.
public struct ReceivedMedia: Sendable {
    public let file: MediaFile
    /// Seconds, for audio.
    public let duration: Double?
    let temporaryPath: String
}

/// The content-addressed store under `<data>/media`: a file's name is the SHA-256 of its
/// bytes, so identical uploads share one file, and no name from a request ever reaches the
/// file system. Rows point at files through `media_files`; a file goes only when nothing
/// (live or trashed) refers to it any more.
public final class MediaStore: Sendable {
    public let root: String
    public let maxUploadBytes: Int
    /// Space an upload must leave free on the disk (STORYBOARD_MIN_FREE_MB).
    public let minimumFreeBytes: Int
    /// Files nothing refers to are removed only once their row is this old (seconds).
    public let orphanGraceSeconds: Double
    let logger: Logger

    public init(root: String, maxUploadBytes: Int, minimumFreeBytes: Int = 0, orphanGraceSeconds: Double = 600, logger: Logger) {
        self.root = root
        self.orphanGraceSeconds = orphanGraceSeconds
        self.maxUploadBytes = maxUploadBytes
        self.minimumFreeBytes = minimumFreeBytes
        self.logger = logger
    }

    public func path(of file: MediaFile) -> String { "\(root)/\(file.relativePath)" }

    /// Streams `chunks` to a temporary file while hashing and counting: beyond the limit it stops
    /// reading at once (413), a full disk is 507, and bytes that are not `expected` are 422.
    public func receive<Chunks: AsyncSequence>(
        _ chunks: Chunks, expected: MediaExpectation, declaredLength: Int?
    ) async throws -> ReceivedMedia
    where Chunks.Element == [UInt8] {
        if let declaredLength, declaredLength > maxUploadBytes { throw Self.tooLarge(maxUploadBytes) }
        try FileManager.default.createDirectory(atPath: "\(root)/tmp", withIntermediateDirectories: true)
        try ensureSpace(for: declaredLength ?? 0)
        let temporaryPath = "\(root)/tmp/\(UUID().uuidString.lowercased()).upload"
        guard let handle = createNew(temporaryPath) else {
            if errno == ENOSPC || errno == EDQUOT { throw Self.diskFull() }
            throw AppError(.internalServerError, "The media store cannot write files")
        }
        var hasher = SHA256()
        var size = 0
        do {
            for try await chunk in chunks {
                size += chunk.count
                if size > maxUploadBytes { throw Self.tooLarge(maxUploadBytes) }
                if size / 8_388_608 != (size - chunk.count) / 8_388_608 { try ensureSpace(for: 0) }
                hasher.update(data: chunk)
                try write(chunk, to: handle)
            }
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw error
        }
        do {
            return try identify(temporaryPath, size: size, digest: hasher.finalize(), expected: expected)
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw error
        }
    }

    /// Takes a file this process wrote under `<media>/tmp` (a render's output) as if it had been
    /// uploaded: hashed, typed from its bytes, then `MediaCatalog.commit` moves it into place.
    public func receiveFile(at path: String, expected: MediaExpectation) throws -> ReceivedMedia {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw AppError(.internalServerError, "The media store cannot read a file it wrote")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var size = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        return try identify(path, size: size, digest: hasher.finalize(), expected: expected)
    }

    /// A new path under `<media>/tmp` for a file this process is about to write.
    public func temporaryPath(extension fileExtension: String) throws -> String {
        try FileManager.default.createDirectory(atPath: "\(root)/tmp", withIntermediateDirectories: true)
        return "\(root)/tmp/\(UUID().uuidString.lowercased()).\(fileExtension)"
    }

    private func identify(_ path: String, size: Int, digest: SHA256.Digest, expected: MediaExpectation) throws -> ReceivedMedia {
        guard size > 0 else { throw AppError(.invalidFileType, "The upload is empty") }
        let id = digest.map { String(format: "%02x", $0) }.joined()
        let source = try FileByteSource(path: path)
        let prefix = try source.bytes(at: 0, count: min(size, MediaProbe.prefixLength))
        switch expected {
        case .audio:
            guard MediaProbe.audioFormat(prefix: prefix) != nil else {
                throw AppError(
                    .invalidFileType, "The upload is not audio this server reads (WAV, MP3, FLAC, OGG or M4A)",
                    details: ["accepted": ["wav", "mp3", "flac", "ogg", "m4a"]])
            }
            let info: AudioInfo
            do {
                info = try MediaProbe.audioInfo(source)
            } catch {
                throw AppError(.invalidFileType, "The audio file cannot be read: \(error)")
            }
            let file = MediaFile(id: id, contentType: info.format.mimeType, fileExtension: info.format.fileExtension, sizeBytes: size)
            return ReceivedMedia(file: file, duration: info.duration, temporaryPath: path)
        case .image:
            guard let format = MediaProbe.imageFormat(prefix: prefix) else {
                throw AppError(
                    .invalidFileType, "The upload is not a PNG, JPEG or WebP image", details: ["accepted": ["png", "jpeg", "webp"]])
            }
            let file = MediaFile(id: id, contentType: format.mimeType, fileExtension: format.fileExtension, sizeBytes: size)
            return ReceivedMedia(file: file, duration: nil, temporaryPath: path)
        case .generated:
            let type: (mime: String, ext: String)
            if let image = MediaProbe.imageFormat(prefix: prefix) {
                type = (image.mimeType, image.fileExtension)
            } else if let video = MediaProbe.videoFormat(prefix: prefix) {
                type = (video.mimeType, video.fileExtension)
            } else {
                throw AppError(
                    .invalidFileType, "The output is not an image or video this server keeps (PNG, JPEG, WebP, GIF, MP4, WebM)",
                    details: ["accepted": ["png", "jpeg", "webp", "gif", "mp4", "webm"]]
                )
            }
            let file = MediaFile(id: id, contentType: type.mime, fileExtension: type.ext, sizeBytes: size)
            return ReceivedMedia(file: file, duration: nil, temporaryPath: path)
        }
    }

    /// Moves a received file to its content address. `MediaCatalog.commit` registers its row
    /// first; this is the file half.
    func place(_ media: ReceivedMedia) throws {
        let destination = path(of: media.file)
        try FileManager.default.createDirectory(
            atPath: (destination as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // Always the rename (atomic, same bytes if the file is there already): a clean-up that
        // moved the old copy aside an instant ago cannot take this one with it.
        if rename(media.temporaryPath, destination) != 0 {
            let code = errno
            discard(media)
            if code == ENOSPC { throw Self.diskFull() }
            throw AppError(.internalServerError, "The media store cannot move a file into place")
        }
    }

    /// Drops a received file that will not be used (the request failed).
    public func discard(_ media: ReceivedMedia) {
        try? FileManager.default.removeItem(atPath: media.temporaryPath)
    }

    /// Opens a stored file for reading, or nil when it is missing on disk.
    public func open(_ file: MediaFile) -> FileHandle? {
        FileHandle(forReadingAtPath: path(of: file))
    }

    /// 507 when writing `bytes` more would leave less than the configured reserve free.
    func ensureSpace(for bytes: Int) throws {
        var stats = statvfs()
        guard statvfs(root, &stats) == 0 else { return }
        let free = Int(stats.f_bavail) &* Int(stats.f_frsize)
        if free - bytes < minimumFreeBytes { throw Self.diskFull() }
    }

    /// A new file, readable by this user only, open for writing: one `open` call. (Foundation's
    /// `createFile` writes an empty file atomically, through a second temporary file, a rename
    /// and a `chmod`, before it can be opened: five calls per output where one will do.)
    private func createNew(_ path: String) -> FileHandle? {
        #if canImport(Glibc)
            let descriptor = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        #elseif canImport(Musl)
            let descriptor = Musl.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        #else
            let descriptor = Darwin.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        #endif
        guard descriptor >= 0 else { return nil }
        return FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    private func write(_ chunk: [UInt8], to handle: FileHandle) throws {
        do {
            try handle.write(contentsOf: chunk)
        } catch let error as NSError where error.domain == NSPOSIXErrorDomain && error.code == Int(ENOSPC) {
            throw Self.diskFull()
        } catch let error as CocoaError where (error.underlying as? POSIXError)?.code == .ENOSPC || error.code == .fileWriteOutOfSpace {
            throw Self.diskFull()
        }
    }

    static func tooLarge(_ limit: Int) -> AppError {
        AppError(.fileTooLarge, "The upload is larger than \(limit / 1_048_576) MB", details: ["limit_bytes": .number(Double(limit))])
    }

    static func diskFull() -> AppError {
        AppError(.insufficientStorage, "The server's disk is too full to store this file")
    }
}
