import Foundation
import Logging
import StoryboardCore
import StoryboardDatabase
import Synchronization

/// One attempt of a job on a ComfyUI server: the first frame uploaded, the prompt queued
/// under the server's shared socket, followed until `/history` has its outputs, the outputs
/// stored (those the socket announced are fetched while `/history` confirms them).
struct ComfyUIRun: Sendable {
    let job: GenerationJob
    let server: GenerationServer
    /// The server's shared websocket as the job's claim saw it; the current one when nil.
    let hub: ComfyUISocketHub?
    let dependencies: JobRun.Dependencies
    let lease: JobLease
    let follower: JobFollow
    let claimedAt: ContinuousClock.Instant

    private var settings: GenerationSettings { dependencies.settings }

    /// The outputs, stored, and the progress not yet written (the last steps of a prompt that
    /// ended between two writes): it goes into the completing transaction.
    func run(_ graph: JSONValue, source: SourceImage?, checkpoint: String) async throws -> ([StoredOutput], JobResults.LastStep?) {
        let client = ComfyUIClient(http: dependencies.http, server: server, timeout: settings.requestTimeout)
        var graph = graph
        if let source {
            // Into the server's input folder first; it may file it under another name.
            let stored = try await client.uploadImage(source.data, name: source.name)
            if stored != source.name { graph = job.workflow(checkpoint: checkpoint, image: stored) }
        }
        // ComfyUI sends a prompt's messages only to the client id that queued it: the prompt
        // goes under the id of the server's shared socket, which hands them to this watch.
        let hub = self.hub ?? dependencies.sockets.hub(for: server)
        let watch = JobWatch()
        let clientID = hub.register(watch)
        defer { hub.unregister(watch) }
        // The prompt is sent once the socket is open (or gone), so its first messages are not missed.
        await watch.settle(timeout: .seconds(min(2, settings.requestTimeout)))
        let early = EarlyOutputs(fresh: .seconds(min(60, dependencies.media.orphanGraceSeconds / 2)))
        let files = try await follow(promptOn: client, clientID: clientID, graph: graph, watch: watch, hub: hub, early: early)
        let collecting = ContinuousClock.now
        var stored: [StoredOutput] = []
        for file in files {
            if let ready = early.take(file) {
                stored.append(ready)
            } else {
                stored.append(try await store(file, from: client))
            }
        }
        _ = dependencies.phases.record(.collect, since: collecting)
        let last = watch.due(interval: JobFollow.updateInterval, final: true)
        return (stored, last.progress.map { ($0.value, $0.max, last.signAt) })
    }

    /// Sends the prompt and follows it until `/history` has its outputs.
    private func follow(
        promptOn client: ComfyUIClient, clientID: String, graph: JSONValue, watch: JobWatch, hub: ComfyUISocketHub, early: EarlyOutputs
    ) async throws -> [UpstreamOutput] {
        let promptID = try await client.submit(graph, clientID: clientID)
        let sent = dependencies.phases.record(.prepare, since: claimedAt)
        hub.bind(promptID, to: watch)
        // Written while the prompt runs, and done before the run ends either way.
        async let upstreamNoted: Void = lease.noteUpstream(promptID, logger: dependencies.logger)
        let outputs = try await follower.follow(watch: watch, cancel: { try? await client.cancel(promptID) }) {
            () async throws -> [UpstreamOutput]? in
            // Completion is confirmed by `/history` whatever the socket said; the files the socket
            // announced are downloaded meanwhile, and kept only if the history lists them.
            async let fetched: Void = fetchEarly(early.claim(watch.announcedOutputs), from: client, into: early)
            let state = try await client.state(of: promptID)
            await fetched
            switch state {
            case .pending: return nil
            case .failed(let message): throw UpstreamError(.transient, message)
            case .succeeded(let outputs): return outputs
            }
        }
        await upstreamNoted
        _ = dependencies.phases.record(.upstream, since: sent)
        return outputs
    }

    /// Downloads one output into the media store and registers it there.
    private func store(_ file: UpstreamOutput, from client: ComfyUIClient) async throws -> StoredOutput {
        let response = try await client.download(file, timeout: settings.downloadTimeout)
        let length = response.headers.first(name: "Content-Length").flatMap(Int.init)
        let received = try await dependencies.media.receive(
            response.body.map { Array($0.readableBytesView) }, expected: .generated, declaredLength: length)
        try await MediaCatalog(store: dependencies.media, database: dependencies.database).commit(received)
        return StoredOutput(
            file: received.file, isVideo: file.isVideo || received.file.contentType.hasPrefix("video/"), justCommitted: true)
    }

    /// Best effort: a file that fails here is downloaded again once `/history` lists it, and
    /// that download's error is the one the job reports. One the history does not list stays
    /// unreferenced and is removed with the store's orphans.
    private func fetchEarly(_ files: [UpstreamOutput], from client: ComfyUIClient, into early: EarlyOutputs) async {
        for file in files {
            do {
                early.keep(try await store(file, from: client), for: file)
            } catch {
                dependencies.logger.debug(
                    "an announced output could not be fetched early",
                    metadata: ["job_id": "\(job.meta.id.lowercasedString)", "error": "\(error)"])
            }
        }
    }
}

/// Outputs of a ComfyUI prompt fetched as soon as its socket announced them, while `/history`
/// was asked whether they are its result.
final class EarlyOutputs: Sendable {
    private struct State {
        var tried: Set<UpstreamOutput> = []
        var stored: [UpstreamOutput: (output: StoredOutput, at: ContinuousClock.Instant)] = [:]
    }

    /// An output registered longer ago than this is registered again by the attaching
    /// transaction: well inside the store's orphan grace, which may be set short.
    let fresh: Duration

    private let state = Mutex(State())

    init(fresh: Duration) {
        self.fresh = fresh
    }

    /// Those of `files` not tried yet, now marked as tried: each is fetched early at most once.
    func claim(_ files: [UpstreamOutput]) -> [UpstreamOutput] {
        state.withLock { state in files.filter { state.tried.insert($0).inserted } }
    }

    func keep(_ output: StoredOutput, for file: UpstreamOutput, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.stored[file] = (output, now) }
    }

    /// The stored output of `file`, if it was fetched early.
    func take(_ file: UpstreamOutput, now: ContinuousClock.Instant = .now) -> StoredOutput? {
        state.withLock { state in
            guard let entry = state.stored.removeValue(forKey: file) else { return nil }
            var output = entry.output
            output.justCommitted = now - entry.at < fresh
            return output
        }
    }
}
