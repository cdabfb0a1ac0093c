import Foundation
import StoryboardCore
import Testing

/// SplitMix64: a seeded sequence, so a failing run can be repeated.
private struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let epoch = Timestamp(microseconds: 1_800_000_000_000_000)

@Suite("Circuit breaker", .timeLimit(.minutes(1)))
struct CircuitBreakerTests {
    static let status = ServerStatus(id: UUID(), name: "gpu", url: "http://gpu", isOnline: true, updatedAt: epoch)

    @Test("failures below the threshold keep the server in rotation; the threshold's takes it out until reopenAfter")
    func opensAtThreshold() {
        let breaker = CircuitBreaker(threshold: 3, reopenAfter: 30)
        let later = epoch.adding(seconds: 5)
        let once = breaker.recordingFailure(Self.status, error: "refused", now: later)
        #expect(once.consecutiveFailures == 1 && once.isOnline && once.retryAt == nil)
        #expect(once.lastError == "refused" && once.updatedAt == later)
        let twice = breaker.recordingFailure(once, error: "timeout", now: later)
        #expect(twice.consecutiveFailures == 2 && twice.isOnline && twice.retryAt == nil)
        let open = breaker.recordingFailure(twice, error: "gone", now: later)
        #expect(open.consecutiveFailures == 3)
        #expect(!open.isOnline)
        #expect(open.retryAt == later.adding(seconds: 30))
        #expect(open.lastError == "gone")
        // Past the threshold every failure pushes the reopening further out.
        let again = breaker.recordingFailure(open, error: "gone", now: later.adding(seconds: 40))
        #expect(again.retryAt == later.adding(seconds: 70) && again.consecutiveFailures == 4)
    }

    @Test("a threshold of one opens on the first failure")
    func thresholdOne() {
        let open = CircuitBreaker(threshold: 1, reopenAfter: 2).recordingFailure(Self.status, error: "x", now: epoch)
        #expect(!open.isOnline && open.retryAt == epoch.adding(seconds: 2))
    }

    @Test("a success closes the circuit, clears the error and remembers the model; one that changes nothing leaves updatedAt alone")
    func success() {
        let breaker = CircuitBreaker(threshold: 2, reopenAfter: 10)
        let open = breaker.recordingFailure(
            breaker.recordingFailure(Self.status, error: "a", now: epoch), error: "b", now: epoch)
        #expect(!open.isOnline)
        let later = epoch.adding(seconds: 60)
        let closed = breaker.recordingSuccess(open, model: "sdxl.safetensors", now: later)
        #expect(closed.isOnline && closed.consecutiveFailures == 0 && closed.lastError == nil && closed.retryAt == nil)
        #expect(closed.lastModel == "sdxl.safetensors" && closed.updatedAt == later)
        let same = breaker.recordingSuccess(closed, model: "sdxl.safetensors", now: later.adding(seconds: 1))
        #expect(same == closed, "a healthy server running the same model: nothing to write")
        let noModel = breaker.recordingSuccess(closed, model: nil, now: later.adding(seconds: 1))
        #expect(noModel.lastModel == "sdxl.safetensors", "no model named: the last one stays")
        #expect(noModel == closed)
    }

    @Test("checks: due without a last check, after the interval, never while the circuit waits, at once when it may reopen")
    func checkDue() {
        let breaker = CircuitBreaker(threshold: 1, reopenAfter: 30)
        var status = Self.status
        #expect(breaker.isCheckDue(status, interval: 60, now: epoch), "never checked")
        status.lastCheck = epoch
        #expect(!breaker.isCheckDue(status, interval: 60, now: epoch.adding(seconds: 59)))
        #expect(breaker.isCheckDue(status, interval: 60, now: epoch.adding(seconds: 60)))
        let open = breaker.recordingFailure(status, error: "x", now: epoch.adding(seconds: 1))
        #expect(!breaker.isCheckDue(open, interval: 60, now: epoch.adding(seconds: 30)), "waiting for retryAt")
        #expect(breaker.isCheckDue(open, interval: 60, now: epoch.adding(seconds: 31)), "retryAt reached: before the interval")
    }
}

@Suite("Retry back-off", .timeLimit(.minutes(1)))
struct RetryPolicyTests {
    @Test("the delay doubles per attempt from the base, and stops at the cap")
    func doublingAndCap() {
        let policy = RetryPolicy(baseDelay: 2, maxDelay: 20)
        // The same draw each time: the jitter's factor is then the same, the rest is the back-off.
        func delay(_ attempt: Int) -> Double {
            var generator = SeededGenerator(state: 7)
            return policy.delay(afterAttempt: attempt, using: &generator)
        }
        let factor = delay(1) / 2
        #expect(factor >= 0.5 && factor <= 1)
        let expected: [Double] = [2, 4, 8, 16, 20, 20]
        for (index, full) in expected.enumerated() {
            #expect(abs(delay(index + 1) - full * factor) < 1e-9, "attempt \(index + 1)")
        }
        #expect(delay(0) == delay(1), "attempt 0 counts as the first")
        #expect(abs(delay(1000) - 20 * factor) < 1e-9, "far out: still the cap")
    }

    @Test("jitter stays between half and all of the delay, and spreads across that range")
    func jitterBounds() {
        let policy = RetryPolicy(baseDelay: 3, maxDelay: 120)
        var generator = SeededGenerator(state: 42)
        for attempt in 1...8 {
            let full = min(120, 3 * pow(2, Double(attempt - 1)))
            let samples = (0..<200).map { _ in policy.delay(afterAttempt: attempt, using: &generator) }
            #expect(samples.allSatisfy { $0 >= full / 2 && $0 <= full }, "attempt \(attempt)")
            #expect((samples.max() ?? 0) - (samples.min() ?? 0) > full / 4, "attempt \(attempt): jobs failing together spread out")
        }
    }

    @Test("the defaults: 2 s doubling up to two minutes")
    func defaults() {
        let policy = RetryPolicy()
        #expect(policy == RetryPolicy(baseDelay: 2, maxDelay: 120))
        var generator = SeededGenerator(state: 1)
        let first = policy.delay(afterAttempt: 1, using: &generator)
        let late = policy.delay(afterAttempt: 12, using: &generator)
        #expect(first >= 1 && first <= 2)
        #expect(late >= 60 && late <= 120)
    }
}

@Suite("Server picker", .timeLimit(.minutes(1)))
struct ServerPickerTests {
    static func candidate(
        _ name: String, type: ServerType = .comfyui, running: Int = 0, max: Int = 2, online: Bool = true, active: Bool = true,
        checkpoints: [String] = ["a.safetensors"], loras: [String] = [], pending: Int = 0, failures: Int = 0, lastModel: String? = nil,
        retryAt: Timestamp? = nil
    ) -> ServerCandidate {
        let server = GenerationServer(name: name, url: "http://\(name)", serverType: type, isActive: active, maxConcurrent: max)
        let status = ServerStatus(
            id: server.meta.id, name: name, url: server.url, isOnline: online, queuePending: pending,
            capabilities: ServerCapabilities(checkpoints: checkpoints, loras: loras), consecutiveFailures: failures, retryAt: retryAt,
            lastModel: lastModel)
        return ServerCandidate(server: server, status: status, running: running)
    }

    static func pick(
        _ candidates: [ServerCandidate], model: String? = "a.safetensors", loras: [String] = [], preferred: ServerCandidate? = nil,
        avoid: ServerCandidate? = nil
    ) -> String? {
        ServerPicker.pick(
            candidates, model: model, loras: loras, preferred: preferred?.server.meta.id, avoid: avoid?.server.meta.id, now: epoch)?.server
            .name
    }

    @Test("the least loaded wins; queue, recent failures and a cold model count against a server")
    func ordering() {
        let idle = Self.candidate("idle")
        let busy = Self.candidate("busy", running: 1)
        #expect(Self.pick([busy, idle]) == "idle")
        // Half full (50) against an idle one with a queue of 5 (25) and two recent failures (20).
        let queued = Self.candidate("queued", pending: 5, failures: 2)
        #expect(Self.pick([busy, queued]) == "queued")
        #expect(ServerPicker.score(queued, model: nil) == 25 + 20)
        // The queue counts at most 50, failures at most 30.
        let swamped = Self.candidate("swamped", pending: 100, failures: 9)
        #expect(ServerPicker.score(swamped, model: nil) == 80)
        // The same load: the one with the model already loaded.
        let warm = Self.candidate("warm", lastModel: "a.safetensors")
        #expect(Self.pick([idle, warm]) == "warm")
        #expect(ServerPicker.score(warm, model: "a.safetensors") == -10)
        #expect(ServerPicker.score(warm, model: nil) == 0, "no model named: nothing is warm")
    }

    @Test("left out: inactive, offline, full, circuit open, without the model or a LoRA; RunPod is trusted with any model")
    func exclusions() {
        #expect(Self.pick([Self.candidate("off", online: false)]) == nil)
        #expect(Self.pick([Self.candidate("inactive", active: false)]) == nil)
        #expect(Self.pick([Self.candidate("full", running: 2)]) == nil)
        #expect(Self.pick([Self.candidate("waiting", retryAt: epoch.adding(seconds: 1))]) == nil)
        #expect(Self.pick([Self.candidate("reopened", retryAt: epoch)]) == "reopened", "retryAt reached")
        #expect(Self.pick([Self.candidate("other", checkpoints: ["b.safetensors"])]) == nil)
        #expect(Self.pick([Self.candidate("nolora")], loras: ["style.safetensors"]) == nil)
        #expect(Self.pick([Self.candidate("lora", loras: ["style.safetensors"])], loras: ["style.safetensors"]) == "lora")
        #expect(Self.pick([Self.candidate("any", checkpoints: [])], model: nil) == "any", "no model named")
        #expect(Self.pick([Self.candidate("pod", type: .runpod, checkpoints: [])], loras: ["style.safetensors"]) == "pod")
        #expect(Self.pick([]) == nil)
    }

    @Test("the asked-for server wins while usable; the one just failed on is used only when there is no other")
    func preferredAndAvoided() {
        let idle = Self.candidate("idle")
        let busy = Self.candidate("busy", running: 1)
        #expect(Self.pick([idle, busy], preferred: busy) == "busy")
        let fullPreferred = Self.candidate("fullPreferred", running: 2)
        #expect(Self.pick([idle, fullPreferred], preferred: fullPreferred) == "idle", "no room: another takes it")
        #expect(Self.pick([idle, busy], avoid: idle) == "busy")
        #expect(Self.pick([idle], avoid: idle) == "idle", "the only one")
        #expect(Self.pick([idle, busy], preferred: idle, avoid: idle) == "busy", "asked for, but just failed there")
        #expect(Self.pick([idle], preferred: idle, avoid: idle) == "idle")
    }
}

@Suite("Parameter merge", .timeLimit(.minutes(1)))
struct ParameterMergeTests {
    @Test("each layer wins over the ones below it; what a layer leaves unset comes from below")
    func precedence() {
        let template = GenerationParams(steps: 12, cfg: 4.5, sampler: "ddim")
        let request = GenerationParams(cfg: 9, seed: 7)
        let params = GenerationParams.merged(
            generationType: .image, base: .sdxl, preset: .fast, template: template, request: request, characterLora: nil)
        #expect(params.cfg == 9, "request over template")
        #expect(params.seed == 7)
        #expect(params.steps == 12, "template over preset")
        #expect(params.sampler == "ddim")
        #expect(params.scheduler == "karras", "preset over built-in defaults")
        #expect(params.width == 1024)
        #expect(params.denoise == 1.0, "only the built-in defaults set it")
        #expect(params.motionBucket == 127)
        #expect(params.loras == [])
    }

    @Test("no preset asked: quality; an unknown model family: the built-in defaults")
    func presets() {
        let quality = GenerationParams.merged(
            generationType: .image, base: .fluxDev, preset: nil, template: GenerationParams(), request: GenerationParams(),
            characterLora: nil)
        #expect(quality.steps == 28 && quality.cfg == 3.5 && quality.scheduler == "simple")
        let unknown = GenerationParams.merged(
            generationType: .image, base: .unknown, preset: .fast, template: GenerationParams(), request: GenerationParams(),
            characterLora: nil)
        #expect(unknown == GenerationParams.builtInDefaults)
    }

    @Test("video: SVD's size and sampling over the defaults, under the preset and the request")
    func video() {
        let plain = GenerationParams.merged(
            generationType: .video, base: .unknown, preset: nil, template: GenerationParams(), request: GenerationParams(),
            characterLora: nil)
        #expect(plain.width == 1024 && plain.height == 576 && plain.cfg == 2.5 && plain.fps == 8 && plain.scheduler == "karras")
        let ltx = GenerationParams.merged(
            generationType: .video, base: .ltxVideo, preset: .fast, template: GenerationParams(), request: GenerationParams(fps: 12),
            characterLora: nil)
        #expect(ltx.width == 768 && ltx.height == 768 && ltx.frames == 41 && ltx.cfg == 2.5)
        #expect(ltx.scheduler == "karras", "the preset names none: the video default stays")
        #expect(ltx.fps == 12)
    }

    @Test("a character's LoRA is added at full strength, once; an empty one is nothing")
    func characterLora() {
        let request = GenerationParams(loras: [LoraUse(name: "style.safetensors", strength: 0.5)])
        let added = GenerationParams.merged(
            generationType: .image, base: .sdxl, preset: nil, template: GenerationParams(), request: request,
            characterLora: "mira.safetensors")
        #expect(added.loras == [LoraUse(name: "style.safetensors", strength: 0.5), LoraUse(name: "mira.safetensors", strength: 1)])
        let named = GenerationParams.merged(
            generationType: .image, base: .sdxl, preset: nil, template: GenerationParams(), request: request,
            characterLora: "style.safetensors")
        #expect(named.loras == [LoraUse(name: "style.safetensors", strength: 0.5)], "already named: its strength stays")
        let empty = GenerationParams.merged(
            generationType: .image, base: .sdxl, preset: nil, template: GenerationParams(), request: GenerationParams(), characterLora: "")
        #expect(empty.loras == [])
    }

    @Test("overlaying: set values win, nil never overrides, an empty LoRA list does")
    func overlay() {
        let below = GenerationParams(width: 512, steps: 10, seed: 1, loras: [LoraUse(name: "a")])
        #expect(below.overlaid(by: GenerationParams()) == below)
        let top = below.overlaid(by: GenerationParams(steps: 30, loras: []))
        #expect(top.width == 512 && top.steps == 30 && top.seed == 1 && top.loras == [])
    }

    @Test("presets: fast and quality differ per family; pony and illustrious get a negative; LoRA limits")
    func familyRules() {
        let pony = ModelPresets.params(for: .pony, preset: .fast)
        #expect(pony.steps == 12 && pony.sampler == "euler_ancestral" && pony.scheduler == "normal" && pony.clipSkip == -2)
        let ponyQuality = ModelPresets.params(for: .pony, preset: .quality)
        #expect(ponyQuality.steps == 28 && ponyQuality.sampler == "dpmpp_2m" && ponyQuality.scheduler == "karras")
        #expect(ModelPresets.params(for: .sd15, preset: .fast).width == 512)
        #expect(ModelPresets.params(for: .wan22, preset: .quality).fps == 24)
        #expect(ModelPresets.params(for: .hunyuanVideo, preset: .quality).frames == 32)
        #expect(ModelPresets.defaultNegative(for: .pony) == "low quality, blurry, distorted")
        #expect(ModelPresets.defaultNegative(for: .sdxl) == nil)
        #expect(ModelPresets.maxLoras(for: .fluxDev) == 3 && ModelPresets.maxLoras(for: .qwenEdit) == 0)
        #expect(ModelPresets.maxLoras(for: .pony) == nil)
    }

    @Test(
        "model families from file names, first match in docs/domain.md's order",
        arguments: [
            ("flux1-dev.safetensors", BaseModel.fluxDev), ("flux-krea.safetensors", .fluxKrea), ("flux-krea-dev.safetensors", .fluxDev),
            ("sdxl/base.safetensors", .sdxl), ("juggernautXL.safetensors", .sdxl), ("ponyDiffusion.safetensors", .pony),
            ("wan2.1_t2v.safetensors", .wan21), ("wan2.2_i2v.safetensors", .wan22), ("qwen_image_edit.safetensors", .qwenEdit),
            ("qwen_image.safetensors", .qwenImage), ("v1-5-pruned-sd15.ckpt", .sd15), ("mystery.safetensors", .unknown),
        ])
    func detection(name: String, expected: BaseModel) {
        #expect(BaseModel.detect(fileName: name) == expected)
    }
}

@Suite("Prompt composition", .timeLimit(.minutes(1)))
struct PromptComposerTests {
    static let mira = ProjectCharacter(
        projectID: UUID(), name: "Mira", description: " a pilot ", triggerWords: ["mira_tw", "", "flightsuit"], styleNotes: "ink")

    @Test("a character's prefix: trigger words, name, description, style notes; empty parts left out")
    func prefix() {
        #expect(PromptComposer.characterPrefix(Self.mira) == "mira_tw flightsuit Mira, a pilot. Style: ink")
        let bare = ProjectCharacter(projectID: UUID(), name: "Juno", description: "  ", styleNotes: "")
        #expect(PromptComposer.characterPrefix(bare) == "Juno")
    }

    @Test("applying: in front once, whitespace trimmed, the previous character's prefix replaced")
    func apply() {
        let once = PromptComposer.apply(Self.mira, to: "  over the sea  ")
        #expect(once == "mira_tw flightsuit Mira, a pilot. Style: ink over the sea")
        #expect(PromptComposer.apply(Self.mira, to: once) == once)
        #expect(PromptComposer.apply(Self.mira, to: "   ") == "mira_tw flightsuit Mira, a pilot. Style: ink")
        let juno = ProjectCharacter(projectID: UUID(), name: "Juno")
        #expect(PromptComposer.apply(juno, to: once, replacing: Self.mira) == "Juno over the sea")
        #expect(
            PromptComposer.apply(juno, to: "over the sea", replacing: Self.mira) == "Juno over the sea", "no old prefix to take off")
    }

    @Test("templates: every placeholder filled, missing values empty, other braces kept, trimmed")
    func render() {
        let text = PromptComposer.render(
            template: " {character}, {prompt}; lyrics: {lyrics} {prompt} {mood} ", prompt: "a boat", lyrics: nil, character: "Mira")
        #expect(text == "Mira, a boat; lyrics:  a boat {mood}")
        #expect(PromptComposer.render(template: "{prompt}", prompt: nil, lyrics: nil, character: nil) == "")
    }

    @Test("a character sample: the given prompt then trigger words and description, or a portrait of the character")
    func sample() {
        let mira = ProjectCharacter(projectID: UUID(), name: "Mira", description: " a pilot ", triggerWords: ["mira_tw", "flightsuit"])
        #expect(PromptComposer.samplePrompt(for: mira, given: " on a cliff ") == "on a cliff mira_tw flightsuit, a pilot")
        #expect(PromptComposer.samplePrompt(for: mira, given: "  ") == "portrait of Mira, high quality, detailed")
        let plain = ProjectCharacter(projectID: UUID(), name: "Juno")
        #expect(PromptComposer.samplePrompt(for: plain, given: "smiling") == "smiling")
        #expect(PromptComposer.samplePrompt(for: plain, given: nil) == "portrait of Juno, high quality, detailed")
    }
}
