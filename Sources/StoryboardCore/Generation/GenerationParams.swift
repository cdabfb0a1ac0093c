import Foundation

/// A LoRA and how strongly it applies.
public struct LoraUse: Sendable, Equatable {
    public var name: String
    public var strength: Double

    public init(name: String, strength: Double = 1.0) {
        self.name = name
        self.strength = strength
    }
}

/// Generation parameters. Every field is optional so that layers can be merged: built-in
/// defaults < model preset < style template `default_params` < request, and a missing or
/// `null` value never overrides one below it.
public struct GenerationParams: Sendable, Equatable {
    public var width: Int?
    public var height: Int?
    public var steps: Int?
    public var cfg: Double?
    /// −1 asks for a random seed; it is resolved before the job is queued.
    public var seed: Int64?
    public var sampler: String?
    public var scheduler: String?
    public var denoise: Double?
    public var clipSkip: Int?
    public var frames: Int?
    public var fps: Int?
    public var motionBucket: Int?
    public var loras: [LoraUse]?

    public init(
        width: Int? = nil, height: Int? = nil, steps: Int? = nil, cfg: Double? = nil, seed: Int64? = nil, sampler: String? = nil,
        scheduler: String? = nil, denoise: Double? = nil, clipSkip: Int? = nil, frames: Int? = nil, fps: Int? = nil,
        motionBucket: Int? = nil,
        loras: [LoraUse]? = nil
    ) {
        self.width = width
        self.height = height
        self.steps = steps
        self.cfg = cfg
        self.seed = seed
        self.sampler = sampler
        self.scheduler = scheduler
        self.denoise = denoise
        self.clipSkip = clipSkip
        self.frames = frames
        self.fps = fps
        self.motionBucket = motionBucket
        self.loras = loras
    }

    public static let keys = [
        "width", "height", "steps", "cfg", "seed", "sampler", "scheduler", "denoise", "clip_skip", "frames", "fps", "motion_bucket",
        "loras",
    ]

    /// What the built-in workflows use when nothing else says otherwise.
    public static let builtInDefaults = GenerationParams(
        width: 1024, height: 1024, steps: 20, cfg: 7.0, seed: -1, sampler: "euler", scheduler: "normal", denoise: 1.0, frames: 25, fps: 24,
        motionBucket: 127, loras: []
    )

    /// What image-to-video changes of the built-in defaults (Stable Video Diffusion's
    /// native size and sampling); model presets, templates and the request still win.
    public static let videoDefaults = GenerationParams(
        width: 1024, height: 576, steps: 20, cfg: 2.5, sampler: "euler", scheduler: "karras", frames: 25, fps: 8)

    /// `self` with every value `top` sets laid over it.
    public func overlaid(by top: GenerationParams) -> GenerationParams {
        GenerationParams(
            width: top.width ?? width, height: top.height ?? height, steps: top.steps ?? steps, cfg: top.cfg ?? cfg, seed: top.seed ?? seed,
            sampler: top.sampler ?? sampler, scheduler: top.scheduler ?? scheduler, denoise: top.denoise ?? denoise,
            clipSkip: top.clipSkip ?? clipSkip,
            frames: top.frames ?? frames, fps: top.fps ?? fps, motionBucket: top.motionBucket ?? motionBucket, loras: top.loras ?? loras
        )
    }

    /// A clip job's parameters, each layer over the ones before it: built-in defaults, video
    /// defaults (image-to-video), the model family's preset (`quality` unless asked), the style
    /// template's, the request's. The clip's character's LoRA is added at full strength unless
    /// the layers already name it.
    public static func merged(
        generationType: GenerationType, base: BaseModel, preset: Preset?, template: GenerationParams, request: GenerationParams,
        characterLora: String?
    ) -> GenerationParams {
        var params =
            builtInDefaults
            .overlaid(by: generationType == .video ? videoDefaults : GenerationParams())
            .overlaid(by: ModelPresets.params(for: base, preset: preset ?? .quality))
            .overlaid(by: template)
            .overlaid(by: request)
        if let lora = characterLora, !lora.isEmpty, !(params.loras ?? []).contains(where: { $0.name == lora }) {
            params.loras = (params.loras ?? []) + [LoraUse(name: lora, strength: 1.0)]
        }
        return params
    }

    /// `self` with a random seed in place of −1 or none.
    public func resolvingSeed<G: RandomNumberGenerator>(using generator: inout G) -> GenerationParams {
        var copy = self
        if seed == nil || seed == -1 { copy.seed = Int64.random(in: 0...Self.maxSeed, using: &generator) }
        return copy
    }

    public static let maxSeed: Int64 = 4_294_967_295

    /// Parses a `params` object, recording each bad field as `<prefix>.<key>` in `errors`.
    /// Unknown keys are refused; `null` means "not set".
    public init(json: JSONValue?, field prefix: String = "params", errors: inout FieldErrors) {
        self.init()
        guard let json, json != .null else { return }
        guard let object = json.objectValue else {
            errors.add(prefix, "must be an object")
            return
        }
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            let field = "\(prefix).\(key)"
            if value == .null { continue }
            switch key {
            case "width": width = Self.integer(value, field, 64...4096, multipleOf: 8, &errors)
            case "height": height = Self.integer(value, field, 64...4096, multipleOf: 8, &errors)
            case "steps": steps = Self.integer(value, field, 1...200, &errors)
            case "cfg": cfg = Self.number(value, field, 0.1...30, &errors)
            case "seed":
                if let number = value.doubleValue, number == -1 || (number >= 0 && number <= Double(Self.maxSeed)),
                    number.rounded() == number
                {
                    seed = Int64(number)
                } else {
                    errors.add(field, "must be -1 (random) or a whole number from 0 to \(Self.maxSeed)")
                }
            case "sampler": sampler = Self.word(value, field, &errors)
            case "scheduler": scheduler = Self.word(value, field, &errors)
            case "denoise": denoise = Self.number(value, field, 0...1, &errors)
            case "clip_skip": clipSkip = Self.integer(value, field, -24...(-1), &errors)
            case "frames": frames = Self.integer(value, field, 1...300, &errors)
            case "fps": fps = Self.integer(value, field, 1...120, &errors)
            case "motion_bucket": motionBucket = Self.integer(value, field, 0...1023, &errors)
            case "loras": loras = Self.loras(value, field, &errors)
            default: errors.add(field, "is not a known parameter (known: \(Self.keys.joined(separator: ", ")))")
            }
        }
    }

    /// The parameters as a JSON object; unset fields are left out.
    public var json: JSONValue {
        var object: [String: JSONValue] = [:]
        if let width { object["width"] = .number(Double(width)) }
        if let height { object["height"] = .number(Double(height)) }
        if let steps { object["steps"] = .number(Double(steps)) }
        if let cfg { object["cfg"] = .number(cfg) }
        if let seed { object["seed"] = .number(Double(seed)) }
        if let sampler { object["sampler"] = .string(sampler) }
        if let scheduler { object["scheduler"] = .string(scheduler) }
        if let denoise { object["denoise"] = .number(denoise) }
        if let clipSkip { object["clip_skip"] = .number(Double(clipSkip)) }
        if let frames { object["frames"] = .number(Double(frames)) }
        if let fps { object["fps"] = .number(Double(fps)) }
        if let motionBucket { object["motion_bucket"] = .number(Double(motionBucket)) }
        if let loras { object["loras"] = .array(loras.map { ["name": .string($0.name), "strength": .number($0.strength)] }) }
        return .object(object)
    }

    private static func integer(
        _ value: JSONValue, _ field: String, _ range: ClosedRange<Int>, multipleOf step: Int = 1, _ errors: inout FieldErrors
    ) -> Int? {
        guard let number = value.doubleValue, number.rounded() == number, number >= Double(range.lowerBound),
            number <= Double(range.upperBound),
            Int(number) % step == 0
        else {
            let rule = step > 1 ? ", a multiple of \(step)" : ""
            errors.add(field, "must be a whole number from \(range.lowerBound) to \(range.upperBound)\(rule)")
            return nil
        }
        return Int(number)
    }

    private static func number(_ value: JSONValue, _ field: String, _ range: ClosedRange<Double>, _ errors: inout FieldErrors) -> Double? {
        guard let number = value.doubleValue, range.contains(number) else {
            errors.add(field, "must be a number from \(range.lowerBound) to \(range.upperBound)")
            return nil
        }
        return number
    }

    /// Sampler and scheduler names: ComfyUI's are short identifiers.
    private static func word(_ value: JSONValue, _ field: String, _ errors: inout FieldErrors) -> String? {
        guard let text = value.stringValue, (1...100).contains(text.count),
            text.unicodeScalars.allSatisfy({
                $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" || $0 == ".")
            })
        else {
            errors.add(field, "must be a name of 1 to 100 letters, digits, _, - or .")
            return nil
        }
        return text
    }

    private static func loras(_ value: JSONValue, _ field: String, _ errors: inout FieldErrors) -> [LoraUse]? {
        guard let items = value.arrayValue, items.count <= 10 else {
            errors.add(field, "must be a list of at most 10 {name, strength} objects")
            return nil
        }
        var result: [LoraUse] = []
        for (index, item) in items.enumerated() {
            guard let name = item["name"]?.stringValue, ModelFileName.isValid(name) else {
                errors.add("\(field)[\(index)].name", "must be a model file name")
                continue
            }
            let strength = item["strength"]?.doubleValue ?? 1.0
            if !(-5...5).contains(strength) { errors.add("\(field)[\(index)].strength", "must be from -5 to 5") }
            if let extra = item.objectValue?.keys.first(where: { $0 != "name" && $0 != "strength" }) {
                errors.add("\(field)[\(index)].\(extra)", "is not a known field")
            }
            result.append(LoraUse(name: name, strength: strength))
        }
        return result
    }
}

/// Model file names as ComfyUI lists them (`sdxl/base.safetensors`): sent to the server in a
/// graph, never used as a local path.
public enum ModelFileName {
    public static func isValid(_ name: String) -> Bool {
        (1...300).contains(name.count) && !name.hasPrefix("/") && !name.split(separator: "/").contains("..")
            && !name.unicodeScalars.contains(where: { $0.value < 0x20 })
    }
}
