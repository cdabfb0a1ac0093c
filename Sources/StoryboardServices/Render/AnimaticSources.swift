import Foundation
import StoryboardCore
import StoryboardDatabase

/// Reads what an animatic shows from the project's timeline (primary scenes in order, their
/// clips at their absolute times), as the timeline route sees it.
struct AnimaticSources: Sendable {
    let database: Database
    let media: MediaStore

    struct Loaded: Sendable {
        var clips: [AnimaticClip]
        /// Absolute path of the song, when the project has one.
        var song: String?
        /// The song's length, or the end of the last clip without a song.
        var duration: Double
    }

    /// The clips whose selected media can be shown, the song and the length; nil when there
    /// is nothing to render (no song and no clip).
    func load(projectID: UUID) async throws -> Loaded? {
        let (project, scenes, analysis) = try await ProjectTreeService(database: database).timeline(of: projectID)
        let clips = scenes.flatMap(\.1)
        let selected = clips.flatMap { [$0.selectedVideoID, $0.selectedImageID].compactMap { $0 } }
        var items: [UUID: GalleryItem] = [:]
        for chunk in stride(from: 0, to: selected.count, by: 500) {
            let ids = selected[chunk..<min(chunk + 500, selected.count)].map { DatabaseValue($0) }
            for item in try await database.galleryItems.all(Filter([.oneOf("id", ids)])) { items[item.meta.id] = item }
        }
        var files: [String: MediaFile] = [:]
        for fileID in Set(items.values.compactMap(\.mediaFileID)) {
            if let file = try await database.mediaFiles.find(id: fileID) { files[fileID] = file }
        }
        func path(_ itemID: UUID?) -> (path: String, type: String)? {
            guard let itemID, let fileID = items[itemID]?.mediaFileID, let file = files[fileID] else { return nil }
            let path = absolute(media.path(of: file))
            return FileManager.default.fileExists(atPath: path) ? (path, file.contentType) : nil
        }
        let laid: [AnimaticClip] = clips.compactMap { clip in
            // A video when ffmpeg can read it; the built-in video graph writes animated WebP,
            // which ffmpeg does not decode, so such a clip shows its still instead.
            if let video = path(clip.selectedVideoID), video.type.hasPrefix("video/") || video.type == "image/gif" {
                return AnimaticClip(start: clip.timelinePosition, end: clip.end, media: .video(path: video.path))
            }
            if let still = path(clip.selectedImageID), still.type.hasPrefix("image/") {
                return AnimaticClip(start: clip.timelinePosition, end: clip.end, media: .still(path: still.path))
            }
            return nil
        }
        var song: String?
        if let mediaID = project.musicMediaID, let file = try await database.mediaFiles.find(id: mediaID) {
            song = absolute(media.path(of: file))
        }
        let duration = project.musicDuration.flatMap { $0 > 0 ? $0 : nil } ?? analysis.timelineEnd
        guard duration > 0 else { return nil }
        return Loaded(clips: laid, song: song, duration: duration)
    }

    /// ffmpeg runs with our working directory, but an absolute path never depends on it.
    private func absolute(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.path
    }
}
