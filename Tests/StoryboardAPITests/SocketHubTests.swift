import Foundation
import Logging
import StoryboardCore
import StoryboardTestSupport
import Testing

@testable import StoryboardServices

@Suite("ComfyUI socket hub and wake-ups")
struct SocketHubTests {
    /// A hub whose connection is open, without a network: the routing on its own.
    func openHub() -> ComfyUISocketHub {
        let hub = ComfyUISocketHub(base: "http://127.0.0.1:1", apiKey: nil, logger: Logger(label: "test"))
        #expect(hub.claimStart())
        hub.opened()
        return hub
    }

    @Test("messages that come before the prompt id is known are handed over when the job binds it; another prompt's never reach it")
    func earlyMessages() {
        let hub = openHub()
        let first = JobWatch()
        let second = JobWatch()
        let client = hub.register(first)
        #expect(hub.register(second) == client, "one client id per connection")
        #expect(first.socket == .open)
        hub.route(.started(promptID: "p1"))
        hub.route(.progress(value: 2, max: 4, node: "6", promptID: "p1"))
        hub.route(.executing(node: nil, promptID: "p1"))
        hub.route(.progress(value: 1, max: 9, node: "6", promptID: "p2"))
        #expect(!first.ended && first.due(interval: .zero).progress == nil, "nothing before the bind")
        hub.bind("p1", to: first)
        #expect(first.ended)
        #expect(first.due(interval: .zero).progress == JobWatch.Progress(value: 2, max: 4))
        hub.bind("p2", to: second)
        #expect(!second.ended)
        #expect(second.due(interval: .zero).progress == JobWatch.Progress(value: 1, max: 9))
        hub.route(.progress(value: 3, max: 4, node: "6", promptID: "p1"))
        #expect(second.due(interval: .zero).progress == nil, "p1's step is not p2's")
    }

    @Test("announced outputs: in the history's order, only once the prompt succeeded; each is fetched early once and taken once")
    func announcedOutputs() throws {
        let hub = openHub()
        let watch = JobWatch()
        _ = hub.register(watch)
        hub.bind("p1", to: watch)
        let file = { (name: String) -> JSONValue in ["images": [["filename": .string(name), "subfolder": "", "type": "output"]]] }
        hub.route(.executed(node: "12", output: file("b.png"), promptID: "p1"))
        hub.route(
            .executed(
                node: "9",
                output: ["images": [["filename": "a.png", "subfolder": "", "type": "temp"], ["filename": "c.png", "type": "output"]]],
                promptID: "p1"))
        #expect(watch.announcedOutputs.isEmpty, "not before the prompt is over")
        hub.route(.succeeded(promptID: "p1"))
        let announced = watch.announcedOutputs
        #expect(
            announced == [UpstreamOutput(filename: "c.png"), UpstreamOutput(filename: "b.png")],
            "node 9 before node 12, the temporary preview left out")

        let failing = JobWatch()
        _ = hub.register(failing)
        hub.bind("p2", to: failing)
        hub.route(.executed(node: "9", output: file("d.png"), promptID: "p2"))
        hub.route(.failed(message: "out of memory", promptID: "p2"))
        hub.route(.executing(node: nil, promptID: "p2"))
        #expect(failing.ended && failing.announcedOutputs.isEmpty, "a failed prompt's files are nothing to fetch")

        let early = EarlyOutputs(fresh: .seconds(60))
        #expect(early.claim(announced) == announced)
        #expect(early.claim(announced).isEmpty, "each file is fetched early at most once")
        let media = MediaFile(id: "f", contentType: "image/png", fileExtension: "png", sizeBytes: 1)
        let start = ContinuousClock.now
        early.keep(StoredOutput(file: media, isVideo: false, justCommitted: true), for: announced[0], now: start)
        #expect(early.take(announced[1]) == nil, "never fetched")
        let taken = try #require(early.take(announced[0], now: start + .seconds(1)))
        #expect(taken.file.id == "f" && taken.justCommitted)
        #expect(early.take(announced[0]) == nil, "taken once")
        early.keep(StoredOutput(file: media, isVideo: false, justCommitted: true), for: announced[1], now: start)
        #expect(
            early.take(announced[1], now: start + early.fresh)?.justCommitted == false, "registered long ago: the attach registers it again"
        )
    }

    @Test("a preview without a prompt id belongs to the prompt that runs; none runs, it is dropped")
    func previews() {
        let hub = openHub()
        let watch = JobWatch()
        _ = hub.register(watch)
        hub.bind("p1", to: watch)
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0])
        hub.route(.preview(contentType: "image/png", bytes: png, promptID: nil))
        #expect(watch.due(interval: .zero).preview == nil, "nothing runs yet")
        hub.route(.executing(node: "6", promptID: "p1"))
        hub.route(.preview(contentType: "image/png", bytes: png, promptID: nil))
        #expect(watch.due(interval: .zero).preview?.bytes == png)
        hub.route(.executing(node: nil, promptID: "p1"))
        hub.route(.preview(contentType: "image/png", bytes: png + [1], promptID: nil))
        #expect(watch.due(interval: .zero).preview == nil, "p1 is over")
    }

    @Test("early messages are bounded: old prompts are forgotten, a prompt keeps its latest preview only")
    func bounded() {
        let hub = openHub()
        for index in 0...ComfyUISocketHub.pendingPrompts {
            hub.route(.progress(value: 1, max: 2, node: nil, promptID: "p\(index)"))
        }
        let forgotten = JobWatch()
        _ = hub.register(forgotten)
        hub.bind("p0", to: forgotten)
        #expect(forgotten.due(interval: .zero).progress == nil)
        let kept = JobWatch()
        _ = hub.register(kept)
        hub.bind("p1", to: kept)
        #expect(kept.due(interval: .zero).progress == JobWatch.Progress(value: 1, max: 2))
    }

    @Test("a stopped hub: a job is told at once there is no socket, and its id is not the hub's")
    func stopped() {
        let hub = ComfyUISocketHub(base: "http://127.0.0.1:1", apiKey: nil, logger: Logger(label: "test"))
        let watch = JobWatch()
        _ = hub.register(watch)
        #expect(watch.socket == .closed)
    }

    @Test("a connection that cannot be made closes its jobs' watches and is not tried again at once")
    func refused() async {
        let hub = ComfyUISocketHub(base: "http://127.0.0.1:1", apiKey: nil, logger: Logger(label: "test"), retryAfter: .seconds(60))
        #expect(hub.claimStart())
        let watch = JobWatch()
        _ = hub.register(watch)
        #expect(watch.socket == .connecting)
        await hub.run()
        #expect(watch.socket == .closed)
        #expect(hub.connection == .stopped)
        #expect(!hub.claimStart(), "within retryAfter of the failure")
    }

    @Test(
        "a socket the server drops while a job uses it: the hub ends at once, the job goes on by polling, and a later job connects again",
        .timeLimit(.minutes(1)))
    func dropped() async throws {
        try await withComfyUIStandIns { standIns in
            let hub = ComfyUISocketHub(base: standIns[0].url, apiKey: nil, logger: Logger(label: "test"), retryAfter: .milliseconds(100))
            let (watch, connection) = try await Self.connect(hub, to: standIns[0], sockets: 1)
            standIns[0].dropWebSockets()
            // Before, the idle wait spun (cancelled) and kept the hub "open" while jobs used it.
            await connection.value
            #expect(watch.socket == .closed)
            #expect(hub.connection == .stopped)
            hub.unregister(watch)
            try await Task.sleep(for: .milliseconds(150))
            // `connect` expects the start to be claimed: once retryAfter has passed, it is.
            let (later, again) = try await Self.connect(hub, to: standIns[0], sockets: 2)
            hub.unregister(later)
            again.cancel()
            await again.value
            #expect(hub.connection == .stopped, "a cancelled hub closes its socket")
        }
    }

    /// Starts the hub's connection with a job on it; returns once the socket is open on both
    /// ends (the client may see the upgrade before the stand-in has filed the socket, its
    /// `sockets`th).
    static func connect(_ hub: ComfyUISocketHub, to standIn: ComfyUIStandIn, sockets: Int) async throws -> (JobWatch, Task<Void, Never>) {
        #expect(hub.claimStart())
        let connection = Task { await hub.run() }
        let watch = JobWatch()
        _ = hub.register(watch)
        await watch.settle(timeout: .seconds(10))
        #expect(watch.socket == .open)
        let deadline = ContinuousClock.now + .seconds(10)
        while standIn.webSocketsOpened < sockets {
            guard ContinuousClock.now < deadline else {
                throw UnexpectedReply(description: "the stand-in has \(standIn.webSocketsOpened) sockets, not \(sockets)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(standIn.webSocketsOpened == sockets)
        return (watch, connection)
    }

    @Test("a closing connection takes no new job: it is told there is no socket")
    func closing() {
        let hub = openHub()
        hub.requestStop()
        let watch = JobWatch()
        _ = hub.register(watch)
        #expect(watch.socket == .closed)
    }

    @Test("late messages about a prompt whose job is done are dropped, not kept")
    func retired() {
        let hub = openHub()
        let watch = JobWatch()
        _ = hub.register(watch)
        hub.bind("p1", to: watch)
        hub.unregister(watch)
        hub.route(.executing(node: nil, promptID: "p1"))
        #expect(hub.pendingCount == 0)
        hub.route(.executing(node: nil, promptID: "p2"))
        #expect(hub.pendingCount == 1, "a prompt not bound yet is kept")
    }

    @Test("a wake signal: a notification ends the wait at once, and a wait that timed out leaves later waits working")
    func wakeSignal() async {
        let signal = WakeSignal()
        let clock = ContinuousClock()
        for _ in 0..<3 {
            let start = clock.now
            await signal.wait(after: signal.current, timeout: .milliseconds(50))
            #expect(clock.now - start >= .milliseconds(45), "the timeout is waited for every time")
        }
        let seen = signal.current
        signal.notify()
        let start = clock.now
        await signal.wait(after: seen, timeout: .seconds(10))
        #expect(clock.now - start < .seconds(1), "a notification since `seen` returns at once")
        let waiting = Task { await signal.wait(after: signal.current, timeout: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(50))
        signal.notify()
        let woken = clock.now
        await waiting.value
        #expect(clock.now - woken < .seconds(5))
        let cancelled = Task { await signal.wait(after: signal.current, timeout: .seconds(30)) }
        cancelled.cancel()
        let before = clock.now
        await cancelled.value
        #expect(clock.now - before < .seconds(5), "cancellation ends a wait")
    }

    @Test("a job's nap: the full duration after a nap that timed out, cut short by the socket's news")
    func nap() async throws {
        let watch = JobWatch()
        let clock = ContinuousClock()
        for _ in 0..<3 {
            let start = clock.now
            try await watch.nap(.milliseconds(40))
            #expect(clock.now - start >= .milliseconds(35), "no busy loop after a timed-out nap")
        }
        watch.closed()
        let start = clock.now
        try await watch.nap(.seconds(10))
        #expect(clock.now - start < .seconds(1))
    }
}
