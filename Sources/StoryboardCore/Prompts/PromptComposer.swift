import Foundation

/// How characters and style templates are written into a clip's prompts (docs/domain.md).
public enum PromptComposer {
    /// "{trigger words} {name}, {description}. Style: {style_notes}", leaving out empty parts.
    public static func characterPrefix(_ character: ProjectCharacter) -> String {
        var text = (character.triggerWords.filter { !$0.isEmpty } + [character.name]).joined(separator: " ")
        if let description = character.description?.trimmingCharacters(in: .whitespacesAndNewlines), !description.isEmpty {
            text += ", \(description)"
        }
        if let notes = character.styleNotes?.trimmingCharacters(in: .whitespacesAndNewlines), !notes.isEmpty {
            text += ". Style: \(notes)"
        }
        return text
    }

    /// `prompt` with `character`'s prefix in front, exactly once. A prefix of `previous` (the
    /// character applied before, if any) is taken off first, so switching characters does not
    /// stack them either.
    public static func apply(_ character: ProjectCharacter, to prompt: String?, replacing previous: ProjectCharacter? = nil) -> String {
        let prefix = characterPrefix(character)
        var body = (prompt ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        for old in [previous.map(characterPrefix), prefix].compactMap({ $0 }) where body.hasPrefix(old) {
            body = String(body.dropFirst(old.count)).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return body.isEmpty ? prefix : "\(prefix) \(body)"
    }

    /// Fills `{prompt}`, `{lyrics}` and `{character}` in a style template. Other braces are left
    /// as written.
    public static func render(template: String, prompt: String?, lyrics: String?, character: String?) -> String {
        template
            .replacingOccurrences(of: "{prompt}", with: prompt ?? "")
            .replacingOccurrences(of: "{lyrics}", with: lyrics ?? "")
            .replacingOccurrences(of: "{character}", with: character ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A character sample's prompt (docs/domain.md): "{prompt} {trigger words}, {description}", or
    /// "portrait of {name}, high quality, detailed" when none is given.
    public static func samplePrompt(for character: ProjectCharacter, given: String?) -> String {
        guard let given = given?.trimmingCharacters(in: .whitespacesAndNewlines), !given.isEmpty else {
            return "portrait of \(character.name), high quality, detailed"
        }
        var text = ([given] + character.triggerWords).joined(separator: " ")
        if let description = character.description?.trimmingCharacters(in: .whitespacesAndNewlines), !description.isEmpty {
            text += ", \(description)"
        }
        return text
    }

    public static let placeholders = ["{prompt}", "{lyrics}", "{character}"]
}
