import Foundation
import StoryboardCore
import StoryboardDatabase

public struct StyleTemplateInput: Sendable {
    public var name: String
    public var projectID: UUID?
    public var isGlobal: Bool?
    public var description: String?
    public var promptTemplate: String
    public var negativePromptTemplate: String?
    public var defaultParams: JSONValue?

    public init(
        name: String, projectID: UUID? = nil, isGlobal: Bool? = nil, description: String? = nil, promptTemplate: String,
        negativePromptTemplate: String? = nil, defaultParams: JSONValue? = nil
    ) {
        self.name = name
        self.projectID = projectID
        self.isGlobal = isGlobal
        self.description = description
        self.promptTemplate = promptTemplate
        self.negativePromptTemplate = negativePromptTemplate
        self.defaultParams = defaultParams
    }
}

public struct StyleTemplatePatch: Sendable {
    public var name: String?
    public var description: String??
    public var promptTemplate: String?
    public var negativePromptTemplate: String??
    public var defaultParams: JSONValue??

    public init(
        name: String? = nil, description: String?? = nil, promptTemplate: String? = nil, negativePromptTemplate: String?? = nil,
        defaultParams: JSONValue?? = nil
    ) {
        self.name = name
        self.description = description
        self.promptTemplate = promptTemplate
        self.negativePromptTemplate = negativePromptTemplate
        self.defaultParams = defaultParams
    }
}

/// Style templates, global or a project's own, and applying them to clips.
public struct StyleTemplateService: Sendable {
    let database: Database

    public init(database: Database) { self.database = database }

    /// Most used first. With a project: its templates, plus the global ones when `includeGlobal`.
    public func list(
        projectID: UUID?, includeGlobal: Bool, limit: Int, cursor: String?, includeDeleted: Bool
    ) async throws -> Page<StyleTemplate> {
        // Without a project: the global templates.
        var filter = Filter([.isNull("project_id")])
        if let projectID {
            _ = try await database.projects.get(id: projectID)
            filter = Filter([
                includeGlobal ? .equalsOrNull("project_id", DatabaseValue(projectID)) : .equals("project_id", DatabaseValue(projectID))
            ])
        }
        return try await database.styleTemplates.findMany(
            filter, sort: Sort("use_count", descending: true), limit: limit, cursor: cursor, includeDeleted: includeDeleted)
    }

    public func create(_ input: StyleTemplateInput) async throws -> StyleTemplate {
        var errors = FieldErrors()
        let name = errors.name(input.name)
        let description = errors.text(input.description, field: "description", max: Limits.description)
        let prompt = Self.template(input.promptTemplate, field: "prompt_template", &errors)
        let negative = input.negativePromptTemplate.map { Self.template($0, field: "negative_prompt_template", &errors) }
        let params = Self.params(input.defaultParams, &errors)
        if input.isGlobal == true, input.projectID != nil { errors.add("is_global", "a project's template cannot be global") }
        try errors.throwIfAny()
        let template = StyleTemplate(
            projectID: input.projectID, name: name, description: description, promptTemplate: prompt, negativePromptTemplate: negative,
            defaultParams: params, isGlobal: input.projectID == nil
        )
        if let project = input.projectID {
            return try await database.transaction { tx in
                guard try await tx.projects.find(id: project, forUpdate: true) != nil else {
                    throw AppError.validation(["project_id": "is not a project"])
                }
                return try await tx.styleTemplates.create(template)
            }
        }
        return try await database.styleTemplates.create(template)
    }

    public func get(id: UUID, includeDeleted: Bool = false) async throws -> StyleTemplate {
        try await database.styleTemplates.get(id: id, includeDeleted: includeDeleted)
    }

    public func update(id: UUID, _ patch: StyleTemplatePatch, expectedVersion: Int?) async throws -> StyleTemplate {
        var errors = FieldErrors()
        var changes = Changes()
        if let name = patch.name { changes.set("name", .text(errors.name(name))) }
        if let value = patch.description {
            changes.set("description", DatabaseValue(errors.text(value, field: "description", max: Limits.description)))
        }
        if let value = patch.promptTemplate {
            changes.set("prompt_template", .text(Self.template(value, field: "prompt_template", &errors)))
        }
        if let value = patch.negativePromptTemplate {
            changes.set(
                "negative_prompt_template", DatabaseValue(value.map { Self.template($0, field: "negative_prompt_template", &errors) }))
        }
        if let value = patch.defaultParams { changes.set("default_params", DatabaseValue(Self.params(value, &errors))) }
        try errors.throwIfAny()
        return try await database.styleTemplates.update(id: id, changes, expectedVersion: expectedVersion)
    }

    /// Renders the template into the clip's prompts (`{prompt}` is the clip's current prompt)
    /// and counts the use, atomically.
    public func apply(templateID: UUID, toClip clipID: UUID) async throws -> Clip {
        try await database.transaction { tx in
            let template = try await tx.styleTemplates.get(id: templateID)
            guard let found = try await tx.clips.find(id: clipID) else { throw AppError.validation(["clip_id": "is not a clip"]) }
            let clip = try await tx.locked(tx.clips, id: found.meta.id) { $0.projectID }
            if let project = template.projectID, project != clip.projectID {
                throw AppError.validation(["clip_id": "belongs to another project than this template"])
            }
            var character: String?
            if let id = clip.characterID, let linked = try await tx.characters.find(id: id) {
                character = PromptComposer.characterPrefix(linked)
            }
            var lyrics = clip.lyrics
            if lyrics?.isEmpty ?? true { lyrics = try await tx.scenes.find(id: clip.sceneID)?.lyrics }
            var changes = Changes([
                "image_prompt": .text(
                    PromptComposer.render(template: template.promptTemplate, prompt: clip.imagePrompt, lyrics: lyrics, character: character)
                ),
                "video_prompt": .text(
                    PromptComposer.render(template: template.promptTemplate, prompt: clip.videoPrompt, lyrics: lyrics, character: character)
                ),
                "style_template_id": DatabaseValue(templateID),
            ])
            if let negative = template.negativePromptTemplate {
                changes.set(
                    "negative_prompt",
                    .text(PromptComposer.render(template: negative, prompt: clip.negativePrompt, lyrics: lyrics, character: character)))
            }
            for (column, value) in changes.assignments {
                if case .text(let text) = value, text.count > Limits.lyricsOrPrompt {
                    throw AppError.validation([column: "would be longer than \(Limits.lyricsOrPrompt) characters with this template"])
                }
            }
            let updated = try await tx.clips.update(id: clipID, changes)
            try await tx.styleTemplates.incrementUseCount(id: templateID)
            return updated
        }
    }

    static func template(_ text: String, field: String, _ errors: inout FieldErrors) -> String {
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { errors.add(field, "must not be empty") }
        if text.count > Limits.lyricsOrPrompt { errors.add(field, "must be at most \(Limits.lyricsOrPrompt) characters") }
        return text
    }

    static func params(_ value: JSONValue?, _ errors: inout FieldErrors) -> String? {
        guard let value, value != .null else { return nil }
        guard case .object = value else {
            errors.add("default_params", "must be an object")
            return nil
        }
        return value.text
    }
}
