import Foundation

/// The family a model belongs to, guessed from its file name (docs/domain.md): picks presets.
public enum BaseModel: String, Sendable, CaseIterable {
    case fluxDev = "flux_dev"
    case fluxKrea = "flux_krea"
    case sdxl, pony
    case wan21 = "wan_2_1"
    case wan22 = "wan_2_2"
    case hidream
    case qwenImage = "qwen_image"
    case qwenEdit = "qwen_edit"
    case illustrious
    case ltxVideo = "ltx_video"
    case hunyuanVideo = "hunyuan_video"
    case sd15 = "sd_1_5"
    case unknown

    /// First match wins, in docs/domain.md's order.
    public static func detect(fileName: String) -> BaseModel {
        let name = fileName.lowercased()
        if name.contains("flux") { return name.contains("krea") && !name.contains("dev") ? .fluxKrea : .fluxDev }
        if name.contains("sdxl") || name.contains("xl") { return .sdxl }
        if name.contains("pony") { return .pony }
        if name.contains("wan") { return name.contains("2.2") || name.contains("22") ? .wan22 : .wan21 }
        if name.contains("hidream") { return .hidream }
        if name.contains("qwen") { return name.contains("edit") ? .qwenEdit : .qwenImage }
        if name.contains("illustrious") { return .illustrious }
        if name.contains("ltx") { return .ltxVideo }
        if name.contains("hunyuan") { return .hunyuanVideo }
        if name.contains("sd15") || name.contains("1.5") { return .sd15 }
        return .unknown
    }
}

public enum Preset: String, Sendable, CaseIterable {
    case fast, quality
}

/// The built-in presets per base model (docs/domain.md's table).
public enum ModelPresets {
    public static func params(for base: BaseModel, preset: Preset) -> GenerationParams {
        let fast = preset == .fast
        func make(
            _ steps: (Int, Int), _ cfg: (Double, Double), _ sampler: (String, String)?, _ scheduler: (String, String)?, size: Int
        ) -> GenerationParams {
            GenerationParams(
                width: size, height: size, steps: fast ? steps.0 : steps.1, cfg: fast ? cfg.0 : cfg.1,
                sampler: sampler.map { fast ? $0.0 : $0.1 },
                scheduler: scheduler.map { fast ? $0.0 : $0.1 }
            )
        }
        let eulerA = ("euler_ancestral", "dpmpp_2m")
        let normalKarras = ("normal", "karras")
        switch base {
        case .fluxDev: return make((8, 28), (2.0, 3.5), ("euler", "euler"), ("simple", "simple"), size: 1024)
        case .fluxKrea: return make((4, 8), (1.0, 1.5), ("euler", "euler"), ("simple", "simple"), size: 1024)
        case .sdxl: return make((15, 35), (6.0, 7.5), ("dpmpp_2m", "dpmpp_2m"), ("karras", "karras"), size: 1024)
        case .pony:
            var params = make((12, 28), (6.5, 7.0), eulerA, normalKarras, size: 1024)
            params.clipSkip = -2
            return params
        case .illustrious: return make((12, 25), (6.0, 7.0), eulerA, normalKarras, size: 1024)
        case .sd15: return make((15, 25), (7.0, 7.5), eulerA, normalKarras, size: 512)
        case .hidream: return make((12, 25), (5.0, 6.5), eulerA, ("karras", "karras"), size: 1024)
        case .qwenImage: return make((10, 20), (5.5, 7.0), eulerA, normalKarras, size: 1024)
        case .qwenEdit: return make((8, 15), (4.5, 6.0), ("euler", "dpmpp_2m"), ("simple", "karras"), size: 1024)
        case .wan21:
            var params = make((15, 25), (7.0, 7.5), ("ddim", "ddim"), ("normal", "normal"), size: 512)
            params.fps = 24
            return params
        case .wan22:
            var params = make((8, 20), (6.5, 7.5), ("euler", "dpmpp_2m"), ("simple", "karras"), size: 768)
            params.fps = 24
            return params
        case .ltxVideo:
            var params = make((10, 20), (2.5, 3.0), nil, nil, size: 768)
            params.frames = fast ? 41 : 81
            return params
        case .hunyuanVideo:
            var params = make((15, 30), (6.0, 7.5), nil, nil, size: 512)
            params.frames = fast ? 16 : 32
            return params
        case .unknown: return GenerationParams()
        }
    }

    /// The negative prompt a family needs when the clip has none.
    public static func defaultNegative(for base: BaseModel) -> String? {
        base == .pony || base == .illustrious ? "low quality, blurry, distorted" : nil
    }

    /// How many LoRAs a family takes at most (nil: no stated limit).
    public static func maxLoras(for base: BaseModel) -> Int? {
        switch base {
        case .fluxDev: 3
        case .fluxKrea: 2
        case .sdxl: 5
        case .qwenEdit: 0
        default: nil
        }
    }
}
