/// A music video being planned: a song and, under it, ordered scenes.
public struct Project: Sendable, Equatable {
    public var meta: RecordMetadata
    public var name: String
    public var description: String?
    public var musicFilePath: String?
    /// Seconds, read from the audio file itself.
    public var musicDuration: Double?
    /// The song's file in the media store.
    public var musicMediaID: String?

    public init(
        meta: RecordMetadata = RecordMetadata(),
        name: String,
        description: String? = nil,
        musicFilePath: String? = nil,
        musicDuration: Double? = nil,
        musicMediaID: String? = nil
    ) {
        self.meta = meta
        self.name = name
        self.description = description
        self.musicFilePath = musicFilePath
        self.musicDuration = musicDuration
        self.musicMediaID = musicMediaID
    }
}
