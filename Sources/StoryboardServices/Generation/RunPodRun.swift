import Foundation
import StoryboardCore
import StoryboardDatabase

/// One attempt of a job on a RunPod serverless endpoint: the graph (and its first frame)
/// sent with `/run`, the run's id written, its `/status` polled, the base64 outputs stored.
struct RunPodRun: Sendable {
    let job: GenerationJob
    let server: GenerationServer
    let dependencies: JobRun.Dependencies
    let lease: JobLease
    let follower: JobFollow
    let claimedAt: ContinuousClock.Instant

    func run(_ graph: JSONValue, source: SourceImage?) async throws -> [StoredOutput] {
        let (media, phases) = (dependencies.media, dependencies.phases)
        let client = RunPodClient(http: dependencies.http, server: server, timeout: dependencies.settings.requestTimeout)
        let runID = try await client.run(graph, images: source.map { [($0.name, $0.data)] } ?? [])
        let sent = phases.record(.prepare, since: claimedAt)
        try await lease.recordUpstream(runID) { try? await client.cancel(runID) }
        let outputs = try await follower.follow(cancel: { try? await client.cancel(runID) }) { () async throws -> [RunPodOutput]? in
            switch try await client.state(of: runID) {
            case .pending: return nil
            case .failed(let message): throw UpstreamError(.transient, message)
            case .succeeded(let outputs): return outputs
            }
        }
        let collecting = phases.record(.upstream, since: sent)
        var stored: [StoredOutput] = []
        for output in outputs {
            let received: ReceivedMedia
            switch output {
            case .bytes(_, let data):
                received = try await media.receive(OneChunk(bytes: Array(data)), expected: .generated, declaredLength: data.count)
            case .url(let name, _):
                // Outputs in a bucket need its credentials; worker-comfyui sends base64 unless told otherwise.
                throw UpstreamError(.permanent, "output \(name) was sent as an S3 URL; configure the endpoint to return base64 images")
            }
            try await MediaCatalog(store: media, database: dependencies.database).commit(received)
            // worker-comfyui lists an animated WebP among its images: what the job asked for decides.
            let isVideo =
                job.generationType == .video || received.file.contentType.hasPrefix("video/") || received.file.contentType == "image/gif"
            stored.append(StoredOutput(file: received.file, isVideo: isVideo, justCommitted: true))
        }
        _ = phases.record(.collect, since: collecting)
        return stored
    }
}

/// A body that is already in memory, as the chunk sequence the media store reads.
struct OneChunk: AsyncSequence, Sendable {
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        var bytes: [UInt8]?
        mutating func next() async throws -> [UInt8]? {
            defer { bytes = nil }
            return bytes
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}
