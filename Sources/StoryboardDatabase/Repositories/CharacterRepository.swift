import Foundation
import SQLKit
import StoryboardCore

extension ProjectCharacter: Record {
    public static let table = "characters"
    public static let resource = ResourceKind.character
    public static let columns = ["project_id", "name", "description", "lora", "trigger_words", "style_notes"]
    public static let sortableColumns: [String: SortKind] = ["name": .text]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), .text(name), DatabaseValue(description), DatabaseValue(lora), .text(JSONText.encode(triggerWords)),
            DatabaseValue(styleNotes),
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let words = try row.decode(column: "trigger_words", as: String.self)
        guard let triggerWords = JSONText.decodeStrings(words) else {
            throw StoredDataError(column: "trigger_words", problem: "is not a JSON list of strings")
        }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            name: try row.decode(column: "name", as: String.self),
            description: try row.optional("description", as: String.self),
            lora: try row.optional("lora", as: String.self),
            triggerWords: triggerWords,
            styleNotes: try row.optional("style_notes", as: String.self)
        )
    }
}

public typealias CharacterRepository = BaseRepository<ProjectCharacter>

extension CharacterImage: Record {
    public static let table = "character_images"
    public static let resource = ResourceKind.characterImage
    public static let columns = ["project_id", "character_id", "media_file_id", "content_type", "kind", "job_id", "output_index", "seed"]
    public static let sortableColumns: [String: SortKind] = [:]

    public var values: [DatabaseValue] {
        [
            DatabaseValue(projectID), DatabaseValue(characterID), .text(mediaFileID), .text(contentType), .text(kind.rawValue),
            DatabaseValue(jobID),
            DatabaseValue(outputIndex), seed.map { DatabaseValue.integer(Int($0)) } ?? .null,
        ]
    }

    public init(meta: RecordMetadata, row: any SQLRow) throws {
        let kind = try row.decode(column: "kind", as: String.self)
        guard let imageKind = CharacterImageKind(rawValue: kind) else { throw StoredDataError(column: "kind", problem: "is \(kind)") }
        self.init(
            meta: meta,
            projectID: try row.uuid("project_id"),
            characterID: try row.uuid("character_id"),
            mediaFileID: try row.decode(column: "media_file_id", as: String.self),
            contentType: try row.decode(column: "content_type", as: String.self),
            kind: imageKind,
            jobID: try row.optionalUUID("job_id"),
            outputIndex: try row.optional("output_index", as: Int.self),
            seed: try row.optional("seed", as: Int64.self)
        )
    }
}

public typealias CharacterImageRepository = BaseRepository<CharacterImage>

extension SQLExecutor {
    public var characters: CharacterRepository { CharacterRepository(self) }
    public var characterImages: CharacterImageRepository { CharacterImageRepository(self) }
}
