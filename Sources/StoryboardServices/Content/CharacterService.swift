import Foundation
import StoryboardCore
import StoryboardDatabase

public struct CharacterInput: Sendable {
    public var name: String
    public var description: String?
    public var lora: String?
    public var triggerWords: [String]
    public var styleNotes: String?

    public init(name: String, description: String? = nil, lora: String? = nil, triggerWords: [String] = [], styleNotes: String? = nil) {
        self.name = name
        self.description = description
        self.lora = lora
        self.triggerWords = triggerWords
        self.styleNotes = styleNotes
    }
}

public struct CharacterPatch: Sendable {
    public var name: String?
    public var description: String??
    public var lora: String??
    public var triggerWords: [String]?
    public var styleNotes: String??

    public init(
        name: String? = nil, description: String?? = nil, lora: String?? = nil, triggerWords: [String]? = nil, styleNotes: String?? = nil
    ) {
        self.name = name
        self.description = description
        self.lora = lora
        self.triggerWords = triggerWords
        self.styleNotes = styleNotes
    }
}

/// Characters of a project, their reference images, and applying them to clips.
public struct CharacterService: Sendable {
    let database: Database
    let media: MediaStore?

    public init(database: Database, media: MediaStore? = nil) {
        self.database = database
        self.media = media
    }

    public func list(projectID: UUID, limit: Int, cursor: String?, includeDeleted: Bool) async throws -> Page<ProjectCharacter> {
        _ = try await database.projects.get(id: projectID, includeDeleted: includeDeleted)
        return try await database.characters.findMany(
            .equals("project_id", DatabaseValue(projectID)), sort: Sort("created_at", descending: false), limit: limit, cursor: cursor,
            includeDeleted: includeDeleted
        )
    }

    public func create(projectID: UUID, _ input: CharacterInput) async throws -> ProjectCharacter {
        var errors = FieldErrors()
        let character = ProjectCharacter(
            projectID: projectID, name: errors.name(input.name),
            description: errors.text(input.description, field: "description", max: Limits.description),
            lora: errors.text(input.lora, field: "lora", max: Limits.name.upperBound),
            triggerWords: errors.triggerWords(input.triggerWords),
            styleNotes: errors.text(input.styleNotes, field: "style_notes", max: Limits.description)
        )
        try errors.throwIfAny()
        return try await database.transaction { tx in
            try await tx.lockProject(projectID)
            return try await tx.characters.create(character)
        }
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> ProjectCharacter {
        try await database.characters.get(id: id, includeDeleted: includeDeleted)
    }

    public func update(id: UUID, _ patch: CharacterPatch, expectedVersion: Int?) async throws -> ProjectCharacter {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let value = patch.description {
            changes.set("description", DatabaseValue(errors.text(value, field: "description", max: Limits.description)))
        }
        if let value = patch.lora { changes.set("lora", DatabaseValue(errors.text(value, field: "lora", max: Limits.name.upperBound))) }
        if let words = patch.triggerWords { changes.set("trigger_words", .text(JSONText.encode(errors.triggerWords(words)))) }
        if let value = patch.styleNotes {
            changes.set("style_notes", DatabaseValue(errors.text(value, field: "style_notes", max: Limits.description)))
        }
        try errors.throwIfAny()
        return try await database.characters.update(id: id, changes, expectedVersion: expectedVersion)
    }

    /// Writes the character into both of the clip's prompts (once, however often it is
    /// applied) and links it. A clip of another project is 400.
    public func apply(characterID: UUID, toClip clipID: UUID) async throws -> Clip {
        try await database.transaction { tx in
            let character = try await tx.locked(tx.characters, id: characterID) { $0.projectID }
            guard let clip = try await tx.clips.find(id: clipID) else {
                throw AppError.validation(["clip_id": "is not a clip of this project"])
            }
            guard clip.projectID == character.projectID else { throw AppError.validation(["clip_id": "belongs to another project"]) }
            let previous: ProjectCharacter? =
                if let old = clip.characterID, old != characterID { try await tx.characters.find(id: old, includeDeleted: true) } else {
                    nil
                }
            return try await tx.clips.update(
                id: clipID,
                Changes([
                    "image_prompt": .text(PromptComposer.apply(character, to: clip.imagePrompt, replacing: previous)),
                    "video_prompt": .text(PromptComposer.apply(character, to: clip.videoPrompt, replacing: previous)),
                    "character_id": DatabaseValue(characterID),
                ])
            )
        }
    }

    // MARK: - Reference images

    /// The character's reference images, or its generated samples.
    public func images(of id: UUID, kind: CharacterImageKind = .reference) async throws -> [CharacterImage] {
        _ = try await database.characters.get(id: id)
        return try await database.characterImages.all(
            Filter.equals("character_id", DatabaseValue(id)).and(.equals("kind", .text(kind.rawValue))))
    }

    /// Makes a generated sample one of the character's reference images.
    public func makeReference(characterID: UUID, imageID: UUID) async throws -> CharacterImage {
        try await database.transaction { tx in
            let character = try await tx.locked(tx.characters, id: characterID) { $0.projectID }
            guard let image = try await tx.characterImages.find(id: imageID), image.characterID == character.meta.id else {
                throw AppError.notFound(.characterImage, id: imageID.lowercasedString)
            }
            _ = try await tx.characters.update(id: characterID, Changes())
            return try await tx.characterImages.update(id: imageID, Changes(["kind": .text(CharacterImageKind.reference.rawValue)]))
        }
    }

    /// A reference image uploaded by hand (PNG, JPEG or WebP, decided from the bytes).
    public func uploadImage<Chunks: AsyncSequence>(
        characterID: UUID, _ chunks: Chunks, declaredLength: Int?
    ) async throws -> CharacterImage where Chunks.Element == [UInt8] {
        guard let media else { throw AppError(.serviceUnavailable, "The media store is not configured") }
        _ = try await get(id: characterID)
        return try await MediaCatalog(store: media, database: database).accept(chunks, expected: .image, declaredLength: declaredLength) {
            received in
            try await addImage(characterID: characterID, received.file)
        }
    }

    /// Attaches a stored file as a reference image; the file is registered again in the
    /// transaction, so a clean-up between the two cannot take it.
    func addImage(characterID: UUID, _ file: MediaFile) async throws -> CharacterImage {
        try await database.transaction { tx in
            let character = try await tx.locked(tx.characters, id: characterID) { $0.projectID }
            try await tx.mediaFiles.register(file)
            _ = try await tx.characters.update(id: characterID, Changes())
            return try await tx.characterImages.create(
                CharacterImage(
                    projectID: character.projectID, characterID: characterID, mediaFileID: file.id, contentType: file.contentType)
            )
        }
    }
}
