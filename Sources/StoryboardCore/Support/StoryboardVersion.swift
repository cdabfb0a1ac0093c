public enum StoryboardVersion {
    public static let current = "0.1.0"
}
