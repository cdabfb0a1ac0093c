import Foundation
import Hummingbird
import NIOCore
import StoryboardCore
import StoryboardServices

/// The song of a project and stored media files: uploads decided from their bytes, downloads
/// with `Range`, always with the type detected at upload and never as active content.
struct MediaController {
    let projects: ProjectService
    let media: MediaStore

    func register(_ routes: Routes) {
        routes.add(.put, "/api/projects/{id}/music", rawBody: true) { request, context in
            let project = try await projects.uploadMusic(
                id: try context.uuidParameter(), request.body.map { Array(buffer: $0) }, declaredLength: request.declaredLength,
                expectedVersion: try request.expectedVersion())
            var writer = JSONWriter()
            writer.project(project)
            return writer.response(headers: [.eTag: etag(project.meta.version)])
        }
        routes.add(.get, "/api/projects/{id}/music") { request, context in
            let file = try await projects.music(of: try context.uuidParameter())
            return try serve(file, request, requestID: context.requestID, immutable: false)
        }
        routes.add(.get, "/api/media/{id}") { request, context in
            let file = try await projects.mediaFile(itemID: try context.uuidParameter())
            // `?download=true` asks a browser to save it (a render's MP4) rather than show it.
            return try serve(file, request, requestID: context.requestID, immutable: true, attachment: request.query("download") == "true")
        }
    }

    /// Streams `file`, or the one byte range asked for (206), with headers that keep a browser
    /// from treating it as anything but the media type it is (the security middleware adds
    /// `nosniff` and a sandboxing CSP to every non-HTML response).
    func serve(_ file: MediaFile, _ request: Request, requestID: String, immutable: Bool, attachment: Bool = false) throws -> Response {
        guard let handle = media.open(file) else {
            throw AppError(.resourceNotFound, "The file of this item is missing from the media store", details: ["resource": "media"])
        }
        let size = file.sizeBytes
        var headers: HTTPFields = [
            .contentType: Self.safeType(file.contentType),
            .acceptRanges: "bytes",
            .eTag: "\"\(file.id)\"",
            .contentDisposition: "\(attachment ? "attachment" : "inline"); filename=\"\(file.id.prefix(16)).\(file.fileExtension)\"",
            .cacheControl: immutable ? "private, max-age=31536000, immutable" : "private, no-cache",
        ]
        if request.headers[.ifNoneMatch] == "\"\(file.id)\"" {
            try? handle.close()
            return Response(status: .notModified, headers: headers)
        }
        var range = 0..<size
        var status = HTTPResponse.Status.ok
        if let header = request.headers[.range] {
            guard let requested = Self.byteRange(header, size: size) else {
                try? handle.close()
                let error = AppError(
                    .rangeNotSatisfiable, "The requested range is outside the file (\(size) bytes)",
                    details: ["size": .number(Double(size))])
                return error.response(requestID: requestID, extraHeaders: [.contentRange: "bytes */\(size)"])
            }
            range = requested
            status = .partialContent
            headers[.contentRange] = "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(size)"
        }
        headers[.contentLength] = String(range.count)
        if request.method == .head {
            try? handle.close()
            return Response(status: status, headers: headers)
        }
        let selected = range
        let body = ResponseBody { writer in
            defer { try? handle.close() }
            try handle.seek(toOffset: UInt64(selected.lowerBound))
            var remaining = selected.count
            while remaining > 0 {
                let chunk = try handle.read(upToCount: min(remaining, 256 * 1024)) ?? Data()
                if chunk.isEmpty { break }
                remaining -= chunk.count
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// Only the types the store accepts; anything else is served as opaque bytes.
    static func safeType(_ type: String) -> String {
        let allowed: Set<String> = [
            "audio/wav", "audio/mpeg", "audio/flac", "audio/ogg", "audio/mp4", "image/png", "image/jpeg", "image/webp", "video/mp4",
            "video/webm",
        ]
        return allowed.contains(type) ? type : "application/octet-stream"
    }

    /// One range of `bytes=a-b`, `bytes=a-` or `bytes=-n`; nil when it cannot be satisfied.
    static func byteRange(_ header: String, size: Int) -> Range<Int>? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = spec[..<dash].trimmingCharacters(in: .whitespaces)
        let last = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if first.isEmpty {
            guard let suffix = Int(last), suffix > 0 else { return nil }
            return (size - min(suffix, size))..<size
        }
        guard let start = Int(first), start >= 0, start < size else { return nil }
        if last.isEmpty { return start..<size }
        guard let end = Int(last), end >= start else { return nil }
        return start..<(min(end, size - 1) + 1)
    }
}
