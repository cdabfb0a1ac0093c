extension Migration {
    /// Every migration the binary knows, in order. A new one goes at the end with the next id.
    public static let all: [Migration] = [
        .createProjects,
        .createContent,
        .createServers,
        .createGeneration,
        .createBatches,
        .indexBatchCounts,
        .createJobEvents,
        .jobProgressAndPreviews,
        .createPoolAndWorkers,
        .createRenders,
        .notifyTreeChanges,
        .coverBatchCounts,
        .countProjectResults,
    ]
}
