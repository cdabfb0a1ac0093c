import Foundation
import StoryboardCore
import StoryboardDatabase

public struct ClipInput: Sendable {
    public var name: String
    public var lyrics: String?
    public var length: Double
    public var timelinePosition: Double?
    public var order: Int?
    public var imagePrompt: String?
    public var videoPrompt: String?
    public var negativePrompt: String?
    public var characterID: UUID?

    public init(
        name: String, lyrics: String? = nil, length: Double, timelinePosition: Double? = nil, order: Int? = nil, imagePrompt: String? = nil,
        videoPrompt: String? = nil, negativePrompt: String? = nil, characterID: UUID? = nil
    ) {
        self.name = name
        self.lyrics = lyrics
        self.length = length
        self.timelinePosition = timelinePosition
        self.order = order
        self.imagePrompt = imagePrompt
        self.videoPrompt = videoPrompt
        self.negativePrompt = negativePrompt
        self.characterID = characterID
    }
}

/// A partial change to a clip: nil leaves a field alone; `.some(nil)` clears an optional one.
public struct ClipPatch: Sendable {
    public var name: String?
    public var lyrics: String??
    public var length: Double?
    public var timelinePosition: Double?
    public var order: Int?
    public var imagePrompt: String??
    public var videoPrompt: String??
    public var negativePrompt: String??
    public var characterID: UUID??

    public init(
        name: String? = nil, lyrics: String?? = nil, length: Double? = nil, timelinePosition: Double? = nil, order: Int? = nil,
        imagePrompt: String?? = nil, videoPrompt: String?? = nil, negativePrompt: String?? = nil, characterID: UUID?? = nil
    ) {
        self.name = name
        self.lyrics = lyrics
        self.length = length
        self.timelinePosition = timelinePosition
        self.order = order
        self.imagePrompt = imagePrompt
        self.videoPrompt = videoPrompt
        self.negativePrompt = negativePrompt
        self.characterID = characterID
    }
}

/// A clip's gallery: its live stills and videos, and what is selected.
public struct Gallery: Sendable {
    public var images: [GalleryItem]
    public var videos: [GalleryItem]
    public var selectedImageID: UUID?
    public var selectedVideoID: UUID?
}

/// Clips: shots on the song's timeline, in scene order, with prompts, gallery, versions and alternates.
public struct ClipService: Sendable {
    public let database: Database
    let media: MediaStore?

    public init(database: Database, media: MediaStore? = nil) {
        self.database = database
        self.media = media
    }

    // MARK: - Listing and reading

    public func list(sceneID: UUID, limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<Clip> {
        _ = try await database.scenes.get(id: sceneID, includeDeleted: includeDeleted)
        let filter = Filter.equals("scene_id", DatabaseValue(sceneID)).and(.isNull("parent_clip_id"))
        return try await database.clips.findMany(
            filter, sort: Sort("order", descending: false), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    /// Every clip of a project (alternates included), oldest first; optionally one character's.
    public func list(projectID: UUID, characterID: UUID?, limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<Clip> {
        _ = try await database.projects.get(id: projectID, includeDeleted: includeDeleted)
        var filter = Filter.equals("project_id", DatabaseValue(projectID))
        if let characterID { filter = filter.and(.equals("character_id", DatabaseValue(characterID))) }
        return try await database.clips.findMany(
            filter, sort: Sort("created_at", descending: false), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> Clip {
        try await database.clips.get(id: id, includeDeleted: includeDeleted)
    }

    // MARK: - Create and change

    public func create(sceneID: UUID, _ input: ClipInput, checkOverlap: Bool) async throws -> Clip {
        var errors = FieldErrors()
        let name = errors.name(input.name)
        let lyrics = errors.text(input.lyrics, field: "lyrics", max: Limits.lyricsOrPrompt)
        let length = errors.length(input.length)
        if let position = input.timelinePosition { _ = errors.position(position) }
        if let order = input.order { _ = errors.order(order) }
        let imagePrompt = errors.text(input.imagePrompt, field: "image_prompt", max: Limits.lyricsOrPrompt)
        let videoPrompt = errors.text(input.videoPrompt, field: "video_prompt", max: Limits.lyricsOrPrompt)
        let negativePrompt = errors.text(input.negativePrompt, field: "negative_prompt", max: Limits.lyricsOrPrompt)
        try errors.throwIfAny()
        return try await database.transaction { tx in
            let scene = try await tx.locked(tx.scenes, id: sceneID) { $0.projectID }
            _ = try await tx.characterForClip(input.characterID, projectID: scene.projectID)
            let timeline = try await tx.clips.onTimeline(projectID: scene.projectID)
            // Without a position, a new clip starts where the timeline ends, so it never overlaps.
            let position = input.timelinePosition ?? min(timeline.map(\.end).max() ?? 0, Timeline.maxPosition)
            let id = UUID()
            if checkOverlap, input.timelinePosition != nil, scene.parentSceneID == nil {
                try Self.checkOverlap(TimelineSpan(id: id, start: position, length: length), timeline)
            }
            let count = try await tx.clips.primaryCount(in: sceneID)
            let order = min(input.order ?? count, count)
            try await tx.clips.shiftOrders(in: sceneID, from: order, by: 1)
            return try await tx.clips.create(
                Clip(
                    meta: RecordMetadata(id: id), projectID: scene.projectID, sceneID: sceneID, name: name, lyrics: lyrics, length: length,
                    timelinePosition: position, order: order, imagePrompt: imagePrompt, videoPrompt: videoPrompt,
                    negativePrompt: negativePrompt,
                    characterID: input.characterID
                )
            )
        }
    }

    public func update(id: UUID, _ patch: ClipPatch, expectedVersion: Int?, checkOverlap: Bool) async throws -> Clip {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let lyrics = patch.lyrics {
            changes.set("lyrics", DatabaseValue(errors.text(lyrics, field: "lyrics", max: Limits.lyricsOrPrompt)))
        }
        if let length = patch.length { changes.set("length", .real(errors.length(length))) }
        if let position = patch.timelinePosition { changes.set("timeline_position", .real(errors.position(position))) }
        if let order = patch.order { _ = errors.order(order) }
        for (field, value) in [
            ("image_prompt", patch.imagePrompt), ("video_prompt", patch.videoPrompt), ("negative_prompt", patch.negativePrompt),
        ] {
            if let value { changes.set(field, DatabaseValue(errors.text(value, field: field, max: Limits.lyricsOrPrompt))) }
        }
        if let character = patch.characterID { changes.set("character_id", DatabaseValue(character)) }
        try errors.throwIfAny()
        return try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: id) { $0.projectID }
            try tx.checkVersion(clip, expected: expectedVersion)
            if let character = patch.characterID { _ = try await tx.characterForClip(character, projectID: clip.projectID) }
            if patch.length != nil || patch.timelinePosition != nil {
                try await Self.checkTiming(
                    clip, position: patch.timelinePosition ?? clip.timelinePosition, length: patch.length ?? clip.length,
                    check: checkOverlap, in: tx
                )
            }
            if let order = patch.order, order != clip.order {
                guard clip.parentClipID == nil else {
                    throw AppError.validation(["order": "an alternate has no place in the order; promote it instead"])
                }
                var ids = try await tx.clips.primaries(in: clip.sceneID).map(\.meta.id).filter { $0 != id }
                ids.insert(id, at: min(order, ids.count))
                try await tx.clips.applyOrder(in: clip.sceneID, ids: ids)
            }
            if changes.isEmpty { return try await tx.clips.get(id: id) }
            return try await tx.clips.update(id: id, changes)
        }
    }

    /// `PUT /api/clips/{id}/prompts`.
    public func setPrompts(id: UUID, imagePrompt: String??, videoPrompt: String??, expectedVersion: Int?) async throws -> Clip {
        try await update(
            id: id, ClipPatch(imagePrompt: imagePrompt, videoPrompt: videoPrompt), expectedVersion: expectedVersion, checkOverlap: false)
    }

    /// `PUT /api/clips/{id}/timeline`: a new position (and length); an overlap is 409 with a
    /// suggested position unless `checkOverlap` is false.
    public func setTiming(id: UUID, position: Double, length: Double?, expectedVersion: Int?, checkOverlap: Bool) async throws -> Clip {
        try await update(
            id: id, ClipPatch(length: length, timelinePosition: position), expectedVersion: expectedVersion, checkOverlap: checkOverlap)
    }

    static func checkTiming(_ clip: Clip, position: Double, length: Double, check: Bool, in tx: Transaction) async throws {
        guard check, clip.parentClipID == nil else { return }
        let scene = try await tx.scenes.get(id: clip.sceneID)
        guard scene.parentSceneID == nil else { return }
        let timeline = try await tx.clips.onTimeline(projectID: clip.projectID)
        try checkOverlap(TimelineSpan(id: clip.meta.id, start: position, length: length), timeline)
    }

    static func checkOverlap(_ span: TimelineSpan, _ timeline: [Clip]) throws {
        let others = timeline.filter { $0.meta.id != span.id }.map {
            TimelineSpan(id: $0.meta.id, start: $0.timelinePosition, length: $0.length)
        }
        guard let hit = Timeline.firstOverlap(of: span, among: others) else { return }
        let suggestion = Timeline.suggestedPosition(for: span, among: others)
        throw AppError(
            .conflict,
            "The clip would overlap clip \(hit.id.lowercasedString) (\(hit.start)–\(hit.end) s); try \(suggestion) s, or pass check_overlap=false",
            details: [
                "suggested_position": .number(suggestion), "overlapping_clip_id": .string(hit.id.lowercasedString),
                "overlapping_start": .number(hit.start), "overlapping_end": .number(hit.end),
            ]
        )
    }

    /// Puts the scene's primary clips in the order of `ids`, which must name each exactly once.
    public func reorder(sceneID: UUID, ids: [UUID]) async throws -> [Clip] {
        try await database.transaction { tx in
            _ = try await tx.locked(tx.scenes, id: sceneID) { $0.projectID }
            let current = try await tx.clips.primaries(in: sceneID).map(\.meta.id)
            try checkPermutation(ids, of: current, field: "clip_ids")
            try await tx.clips.applyOrder(in: sceneID, ids: ids)
            return try await tx.clips.primaries(in: sceneID)
        }
    }

    /// Moves a clip (with its alternates) to another scene of the same project, at `order`
    /// (default: the end). The clip keeps its time on the song.
    public func move(id: UUID, toScene sceneID: UUID, order: Int?, expectedVersion: Int?) async throws -> Clip {
        if let order, order < 0 { throw AppError.validation(["order": "must be 0 or more"]) }
        return try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: id) { $0.projectID }
            try tx.checkVersion(clip, expected: expectedVersion)
            guard clip.parentClipID == nil else { throw AppError.validation(["id": "an alternate moves with its primary clip"]) }
            guard let target = try await tx.scenes.find(id: sceneID) else {
                throw AppError.validation(["scene_id": "is not a scene of this project"])
            }
            guard target.projectID == clip.projectID else { throw AppError.validation(["scene_id": "belongs to another project"]) }
            if sceneID == clip.sceneID {
                var ids = try await tx.clips.primaries(in: sceneID).map(\.meta.id).filter { $0 != id }
                ids.insert(id, at: min(order ?? ids.count, ids.count))
                try await tx.clips.applyOrder(in: sceneID, ids: ids)
                return try await tx.clips.get(id: id)
            }
            let count = try await tx.clips.primaryCount(in: sceneID)
            let position = min(order ?? count, count)
            try await tx.clips.shiftOrders(in: sceneID, from: position, by: 1)
            let moved = try await tx.clips.update(id: id, Changes(["scene_id": DatabaseValue(sceneID), "order": .integer(position)]))
            try await tx.clips.shiftOrders(in: clip.sceneID, from: clip.order + 1, by: -1)
            try await tx.clips.updateAll(
                .equals("parent_clip_id", DatabaseValue(id)), Changes(["scene_id": DatabaseValue(sceneID)]), includeDeleted: true)
            return moved
        }
    }

    // MARK: - Alternates

    public func alternates(of id: UUID) async throws -> [Clip] {
        let clip = try await database.clips.get(id: id)
        return try await database.clips.all(.equals("parent_clip_id", DatabaseValue(clip.parentClipID ?? id)), orderBy: "alternate_number")
    }

    /// "{source name} A{n}", copying lyrics, length, position, order, prompts and character,
    /// with an empty gallery.
    public func createAlternate(of id: UUID, name: String?) async throws -> Clip {
        var errors = FieldErrors()
        let custom = name.map { errors.name($0) }
        try errors.throwIfAny()
        return try await database.transaction { tx in
            let source = try await tx.locked(tx.clips, id: id) { $0.projectID }
            let parent = source.parentClipID ?? source.meta.id
            let number = try await tx.clips.nextAlternateNumber(parent: parent)
            return try await tx.clips.create(
                Clip(
                    projectID: source.projectID, sceneID: source.sceneID, name: custom ?? SceneService.alternateName(source.name, number),
                    lyrics: source.lyrics, length: source.length, timelinePosition: source.timelinePosition, order: source.order,
                    imagePrompt: source.imagePrompt, videoPrompt: source.videoPrompt, negativePrompt: source.negativePrompt,
                    characterID: source.characterID, styleTemplateID: source.styleTemplateID, parentClipID: parent, alternateNumber: number
                )
            )
        }
    }

    /// The alternate takes its primary's place (order and time); the former primary becomes its alternate.
    public func promote(_ id: UUID) async throws -> Clip {
        try await database.transaction { tx in
            let alternate = try await tx.locked(tx.clips, id: id) { $0.projectID }
            guard let parentID = alternate.parentClipID else {
                throw AppError(.conflict, "Clip \(id.lowercasedString) is already a primary clip")
            }
            let primary = try await tx.clips.get(id: parentID)
            _ = try await tx.clips.update(
                id: parentID,
                Changes([
                    "parent_clip_id": DatabaseValue(id), "is_alternate": .bool(true),
                    "alternate_number": DatabaseValue(alternate.alternateNumber),
                ])
            )
            let promoted = try await tx.clips.update(
                id: id,
                Changes([
                    "parent_clip_id": .null, "is_alternate": .bool(false), "alternate_number": .null, "order": .integer(primary.order),
                    "scene_id": DatabaseValue(primary.sceneID), "timeline_position": .real(primary.timelinePosition),
                ])
            )
            try await tx.clips.updateAll(
                Filter.equals("parent_clip_id", DatabaseValue(parentID)).and(.notEquals("id", DatabaseValue(id))),
                Changes(["parent_clip_id": DatabaseValue(id)]), includeDeleted: true
            )
            return promoted
        }
    }

    // MARK: - Gallery

    public func gallery(of id: UUID) async throws -> Gallery {
        let clip = try await database.clips.get(id: id)
        let items = try await database.galleryItems.all(.equals("clip_id", DatabaseValue(id)))
        return Gallery(
            images: items.filter { $0.contentType == .image }, videos: items.filter { $0.contentType == .video },
            selectedImageID: clip.selectedImageID, selectedVideoID: clip.selectedVideoID
        )
    }

    /// Selects a still and/or a video; each must be a live item of this clip's gallery, of that kind.
    public func select(clipID: UUID, imageID: UUID??, videoID: UUID??, expectedVersion: Int?) async throws -> Clip {
        try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: clipID) { $0.projectID }
            try tx.checkVersion(clip, expected: expectedVersion)
            var errors = FieldErrors()
            var changes = Changes()
            for (field, column, kind, value) in [
                ("image_id", "selected_image_id", MediaKind.image, imageID), ("video_id", "selected_video_id", .video, videoID),
            ] {
                guard let value else { continue }
                if let id = value {
                    let item = try await tx.galleryItems.find(id: id)
                    guard let item, item.clipID == clipID else {
                        errors.add(field, "is not in this clip's gallery")
                        continue
                    }
                    guard item.contentType == kind else {
                        errors.add(field, "is a \(item.contentType.rawValue), not a \(kind.rawValue)")
                        continue
                    }
                }
                changes.set(column, DatabaseValue(value))
            }
            try errors.throwIfAny()
            if changes.isEmpty { return clip }
            return try await tx.clips.update(id: clipID, changes)
        }
    }

    /// An image uploaded by hand (PNG, JPEG or WebP, decided from the bytes) into the clip's
    /// gallery; `isSelected` when it became the clip's image (the first one does).
    public func uploadImage<Chunks: AsyncSequence>(
        clipID: UUID, _ chunks: Chunks, declaredLength: Int?
    ) async throws -> (item: GalleryItem, isSelected: Bool) where Chunks.Element == [UInt8] {
        guard let media else { throw AppError(.serviceUnavailable, "The media store is not configured") }
        _ = try await get(id: clipID)
        let item = try await MediaCatalog(store: media, database: database).accept(chunks, expected: .image, declaredLength: declaredLength)
        { received in
            let file = received.file
            return try await addToGallery(
                clipID: clipID,
                item: { clip in GalleryItem(projectID: clip.projectID, clipID: clipID, contentType: .image, mediaFileID: file.id) },
                media: file
            )
        }
        let clip = try await get(id: clipID)
        return (item, clip.selectedImageID == item.meta.id)
    }

    /// Adds a stored file to a clip's gallery (an upload, or a generation result); the first of
    /// each kind becomes the selection.
    public func addToGallery(clipID: UUID, item build: @Sendable (Clip) -> GalleryItem, media: MediaFile? = nil) async throws -> GalleryItem
    {
        try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: clipID) { $0.projectID }
            if let media { try await tx.mediaFiles.register(media) }
            let item = try await tx.galleryItems.create(build(clip))
            let column = item.contentType == .image ? "selected_image_id" : "selected_video_id"
            _ = try await tx.clips.updateOne(
                Filter.equals("id", DatabaseValue(clipID)).and(.isNull(column)), Changes([column: DatabaseValue(item.meta.id)]))
            return item
        }
    }

    // MARK: - Versions

    public func versions(of id: UUID) async throws -> [ClipVersion] {
        _ = try await database.clips.get(id: id)
        return try await database.clipVersions.all(.equals("clip_id", DatabaseValue(id)), orderBy: "number")
    }

    /// Snapshots the clip's prompts, selection and timing as the next version, which becomes active.
    public func createVersion(of id: UUID, generationParams: String?) async throws -> ClipVersion {
        try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: id) { $0.projectID }
            let existing = try await tx.clipVersions.all(.equals("clip_id", DatabaseValue(id)), includeDeleted: true)
            let number = (existing.map(\.number).max() ?? 0) + 1
            let version = try await tx.clipVersions.create(
                ClipVersion(
                    projectID: clip.projectID, clipID: id, number: number, imagePrompt: clip.imagePrompt, videoPrompt: clip.videoPrompt,
                    negativePrompt: clip.negativePrompt, selectedImageID: clip.selectedImageID, selectedVideoID: clip.selectedVideoID,
                    length: clip.length, timelinePosition: clip.timelinePosition, generationParams: generationParams
                )
            )
            _ = try await tx.clips.update(id: id, Changes(["active_version": .integer(number)]))
            return version
        }
    }

    /// Makes version `number` active: the clip takes its prompts, selection and timing back.
    /// A selection whose item has left the gallery since is cleared rather than restored.
    public func activateVersion(of id: UUID, number: Int, expectedVersion: Int?) async throws -> Clip {
        try await database.transaction { tx in
            let clip = try await tx.locked(tx.clips, id: id) { $0.projectID }
            try tx.checkVersion(clip, expected: expectedVersion)
            guard
                let version = try await tx.clipVersions.findOne(
                    Filter.equals("clip_id", DatabaseValue(id)).and(.equals("number", .integer(number))))
            else {
                throw AppError(
                    .resourceNotFound, "Clip \(id.lowercasedString) has no version \(number)",
                    details: ["resource": "clip_version", "number": .number(Double(number))])
            }
            var selection: [UUID?] = []
            for selected in [version.selectedImageID, version.selectedVideoID] {
                if let selected, let item = try await tx.galleryItems.find(id: selected), item.clipID == id {
                    selection.append(selected)
                } else {
                    selection.append(nil)
                }
            }
            return try await tx.clips.update(
                id: id,
                Changes([
                    "active_version": .integer(number), "image_prompt": DatabaseValue(version.imagePrompt),
                    "video_prompt": DatabaseValue(version.videoPrompt),
                    "negative_prompt": DatabaseValue(version.negativePrompt), "selected_image_id": DatabaseValue(selection[0]),
                    "selected_video_id": DatabaseValue(selection[1]), "length": .real(version.length),
                    "timeline_position": .real(version.timelinePosition),
                ])
            )
        }
    }
}
