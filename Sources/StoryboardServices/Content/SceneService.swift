import Foundation
import StoryboardCore
import StoryboardDatabase

public struct SceneInput: Sendable {
    public var name: String
    public var description: String?
    public var lyrics: String?
    public var order: Int?

    public init(name: String, description: String? = nil, lyrics: String? = nil, order: Int? = nil) {
        self.name = name
        self.description = description
        self.lyrics = lyrics
        self.order = order
    }
}

/// A partial change: nil leaves a field alone; `.some(nil)` clears an optional one.
public struct ScenePatch: Sendable {
    public var name: String?
    public var description: String??
    public var lyrics: String??
    public var order: Int?

    public init(name: String? = nil, description: String?? = nil, lyrics: String?? = nil, order: Int? = nil) {
        self.name = name
        self.description = description
        self.lyrics = lyrics
        self.order = order
    }
}

/// Scenes: ordered sections of a project, with alternates.
public struct SceneService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// The project's primary scenes in order.
    public func list(projectID: UUID, limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<Scene> {
        _ = try await database.projects.get(id: projectID, includeDeleted: includeDeleted)
        let filter = Filter.equals("project_id", DatabaseValue(projectID)).and(.isNull("parent_scene_id"))
        return try await database.scenes.findMany(
            filter, sort: Sort("order", descending: false), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func create(projectID: UUID, _ input: SceneInput) async throws -> Scene {
        var errors = FieldErrors()
        let name = errors.name(input.name)
        let description = errors.text(input.description, field: "description", max: Limits.description)
        let lyrics = errors.text(input.lyrics, field: "lyrics", max: Limits.lyricsOrPrompt)
        if let order = input.order { _ = errors.order(order) }
        try errors.throwIfAny()
        return try await database.transaction { tx in
            try await tx.lockProject(projectID)
            let count = try await tx.scenes.primaryCount(in: projectID)
            // New scenes go to the end unless `order` says otherwise; the others make room.
            let order = min(input.order ?? count, count)
            try await tx.scenes.shiftOrders(in: projectID, from: order, by: 1)
            return try await tx.scenes.create(
                Scene(projectID: projectID, name: name, description: description, lyrics: lyrics, order: order))
        }
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> Scene {
        try await database.scenes.get(id: id, includeDeleted: includeDeleted)
    }

    public func update(id: UUID, _ patch: ScenePatch, expectedVersion: Int?) async throws -> Scene {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let description = patch.description {
            changes.set("description", DatabaseValue(errors.text(description, field: "description", max: Limits.description)))
        }
        if let lyrics = patch.lyrics {
            changes.set("lyrics", DatabaseValue(errors.text(lyrics, field: "lyrics", max: Limits.lyricsOrPrompt)))
        }
        if let order = patch.order { _ = errors.order(order) }
        try errors.throwIfAny()
        return try await database.transaction { tx in
            let scene = try await tx.locked(tx.scenes, id: id) { $0.projectID }
            try tx.checkVersion(scene, expected: expectedVersion)
            if let order = patch.order, order != scene.order {
                guard scene.parentSceneID == nil else {
                    throw AppError.validation(["order": "an alternate has no place in the order; promote it instead"])
                }
                var ids = try await tx.scenes.primaries(in: scene.projectID).map(\.meta.id).filter { $0 != id }
                ids.insert(id, at: min(order, ids.count))
                try await tx.scenes.applyOrder(in: scene.projectID, ids: ids)
            }
            if changes.isEmpty { return try await tx.scenes.get(id: id) }
            return try await tx.scenes.update(id: id, changes)
        }
    }

    /// Puts the project's primary scenes in the order of `ids`, which must name each exactly once.
    public func reorder(projectID: UUID, ids: [UUID]) async throws -> [Scene] {
        try await database.transaction { tx in
            try await tx.lockProject(projectID)
            let current = try await tx.scenes.primaries(in: projectID).map(\.meta.id)
            try checkPermutation(ids, of: current, field: "scene_ids")
            try await tx.scenes.applyOrder(in: projectID, ids: ids)
            return try await tx.scenes.primaries(in: projectID)
        }
    }

    // MARK: - Alternates

    /// The alternates of a scene (of its primary, when it is an alternate itself), by number.
    public func alternates(of id: UUID) async throws -> [Scene] {
        let scene = try await database.scenes.get(id: id)
        return try await database.scenes.all(
            .equals("parent_scene_id", DatabaseValue(scene.parentSceneID ?? id)), orderBy: "alternate_number")
    }

    /// "{source name} A{n}" under the source's primary, copying description, lyrics and order;
    /// with `copyClips`, the source's clips too, with their galleries and selections.
    public func createAlternate(of id: UUID, name: String?, copyClips: Bool) async throws -> Scene {
        var errors = FieldErrors()
        let custom = name.map { errors.name($0) }
        try errors.throwIfAny()
        return try await database.transaction { tx in
            let source = try await tx.locked(tx.scenes, id: id) { $0.projectID }
            let parent = source.parentSceneID ?? source.meta.id
            let number = try await tx.scenes.nextAlternateNumber(parent: parent)
            let alternate = try await tx.scenes.create(
                Scene(
                    projectID: source.projectID, name: custom ?? Self.alternateName(source.name, number), description: source.description,
                    lyrics: source.lyrics, order: source.order, parentSceneID: parent, alternateNumber: number
                )
            )
            if copyClips {
                // The clips with their galleries (same stored files, new rows) and selections.
                let clips = try await tx.clips.all(
                    .equals("scene_id", DatabaseValue(source.meta.id)).and(.isNull("parent_clip_id")), orderBy: "order")
                let items =
                    clips.isEmpty ? [] : try await tx.galleryItems.all(Filter([.oneOf("clip_id", clips.map { DatabaseValue($0.meta.id) })]))
                var newItemIDs: [UUID: UUID] = [:]
                for item in items { newItemIDs[item.meta.id] = UUID() }
                var newClipIDs: [UUID: UUID] = [:]
                let copies = clips.map { clip in
                    let id = UUID()
                    newClipIDs[clip.meta.id] = id
                    return Clip(
                        meta: RecordMetadata(id: id), projectID: clip.projectID, sceneID: alternate.meta.id, name: clip.name,
                        lyrics: clip.lyrics,
                        length: clip.length, timelinePosition: clip.timelinePosition, order: clip.order, imagePrompt: clip.imagePrompt,
                        videoPrompt: clip.videoPrompt, negativePrompt: clip.negativePrompt,
                        selectedImageID: clip.selectedImageID.flatMap { newItemIDs[$0] },
                        selectedVideoID: clip.selectedVideoID.flatMap { newItemIDs[$0] }, characterID: clip.characterID,
                        styleTemplateID: clip.styleTemplateID
                    )
                }
                try await tx.clips.createAll(copies)
                try await tx.galleryItems.createAll(
                    items.compactMap { item in
                        guard let id = newItemIDs[item.meta.id], let clipID = newClipIDs[item.clipID] else { return nil }
                        var copy = item
                        copy.meta = RecordMetadata(id: id)
                        copy.clipID = clipID
                        // A job's outputs are attached once; the copy is not that attachment.
                        copy.jobID = nil
                        copy.outputIndex = nil
                        return copy
                    }
                )
            }
            return alternate
        }
    }

    /// The alternate takes its primary's place in the order; the former primary (and its other
    /// alternates) become alternates of it. One transaction.
    public func promote(_ id: UUID) async throws -> Scene {
        try await database.transaction { tx in
            let alternate = try await tx.locked(tx.scenes, id: id) { $0.projectID }
            guard let parentID = alternate.parentSceneID else {
                throw AppError(.conflict, "Scene \(id.lowercasedString) is already a primary scene")
            }
            let primary = try await tx.scenes.get(id: parentID)
            // The primary leaves the order first, so the unique order is never held twice.
            _ = try await tx.scenes.update(
                id: parentID,
                Changes([
                    "parent_scene_id": DatabaseValue(id), "is_alternate": .bool(true),
                    "alternate_number": DatabaseValue(alternate.alternateNumber),
                ])
            )
            let promoted = try await tx.scenes.update(
                id: id,
                Changes([
                    "parent_scene_id": .null, "is_alternate": .bool(false), "alternate_number": .null, "order": .integer(primary.order),
                ])
            )
            try await tx.scenes.updateAll(
                Filter.equals("parent_scene_id", DatabaseValue(parentID)).and(.notEquals("id", DatabaseValue(id))),
                Changes(["parent_scene_id": DatabaseValue(id)]), includeDeleted: true
            )
            return promoted
        }
    }

    static func alternateName(_ source: String, _ number: Int) -> String {
        let suffix = " A\(number)"
        return String(source.prefix(Limits.name.upperBound - suffix.count)) + suffix
    }
}
