import Foundation

/// What a generation server can run: its node classes and the model files it has
/// (read from ComfyUI's `/object_info`).
public struct ServerCapabilities: Sendable, Equatable {
    public var nodeTypes: Set<String>
    public var checkpoints: [String]
    public var loras: [String]

    public init(nodeTypes: Set<String> = [], checkpoints: [String] = [], loras: [String] = []) {
        self.nodeTypes = nodeTypes
        self.checkpoints = checkpoints
        self.loras = loras
    }
}

/// What a built-in workflow needs to be built.
public struct WorkflowRequest: Sendable, Equatable {
    public var checkpoint: String
    public var prompt: String
    public var negativePrompt: String
    public var params: GenerationParams

    public init(checkpoint: String, prompt: String, negativePrompt: String, params: GenerationParams) {
        self.checkpoint = checkpoint
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.params = params
    }
}

/// ComfyUI API-format graphs: `{node_id: {"class_type", "inputs"}}`, a link being
/// `[node_id, output_index]`.
public enum Workflow {
    /// The built-in text-to-image graph: checkpoint, LoRAs in a chain, optional CLIP skip,
    /// positive and negative prompt, an empty latent, a KSampler, decode, save.
    public static func textToImage(_ request: WorkflowRequest) -> JSONValue {
        let p = GenerationParams.builtInDefaults.overlaid(by: request.params)
        var graph: [String: JSONValue] = [:]
        graph["1"] = node("CheckpointLoaderSimple", ["ckpt_name": .string(request.checkpoint)])
        var model: JSONValue = link("1", 0)
        var clip: JSONValue = link("1", 1)
        for (index, lora) in (p.loras ?? []).enumerated() {
            let id = "\(20 + index)"
            graph[id] = node(
                "LoraLoader",
                [
                    "lora_name": .string(lora.name), "strength_model": .number(lora.strength), "strength_clip": .number(lora.strength),
                    "model": model, "clip": clip,
                ]
            )
            model = link(id, 0)
            clip = link(id, 1)
        }
        if let skip = p.clipSkip {
            graph["5"] = node("CLIPSetLastLayer", ["stop_at_clip_layer": .number(Double(skip)), "clip": clip])
            clip = link("5", 0)
        }
        graph["2"] = node("CLIPTextEncode", ["text": .string(request.prompt), "clip": clip])
        graph["3"] = node("CLIPTextEncode", ["text": .string(request.negativePrompt), "clip": clip])
        graph["4"] = node("EmptyLatentImage", ["width": number(p.width), "height": number(p.height), "batch_size": 1])
        graph["6"] = node(
            "KSampler",
            [
                "seed": .number(Double(p.seed ?? 0)), "steps": number(p.steps), "cfg": .number(p.cfg ?? 7),
                "sampler_name": .string(p.sampler ?? "euler"),
                "scheduler": .string(p.scheduler ?? "normal"), "denoise": .number(p.denoise ?? 1), "model": model, "positive": link("2", 0),
                "negative": link("3", 0), "latent_image": link("4", 0),
            ]
        )
        graph["7"] = node("VAEDecode", ["samples": link("6", 0), "vae": link("1", 2)])
        graph["8"] = node("SaveImage", ["images": link("7", 0), "filename_prefix": "storyboard"])
        return .object(graph)
    }

    /// The built-in image-to-video graph (Stable Video Diffusion's image-only checkpoints):
    /// the clip's selected image, loaded from the server's input folder as `image`, is the
    /// first frame; frames, fps and motion bucket come from the parameters; the frames are
    /// saved as an animated WebP (ComfyUI reports it under `images` with `animated`).
    public static func imageToVideo(checkpoint: String, image: String, params: GenerationParams) -> JSONValue {
        let p = GenerationParams.builtInDefaults.overlaid(by: GenerationParams.videoDefaults).overlaid(by: params)
        var graph: [String: JSONValue] = [:]
        graph["1"] = node("ImageOnlyCheckpointLoader", ["ckpt_name": .string(checkpoint)])
        graph["2"] = node("LoadImage", ["image": .string(image)])
        graph["3"] = node(
            "SVD_img2vid_Conditioning",
            [
                "clip_vision": link("1", 1), "init_image": link("2", 0), "vae": link("1", 2), "width": number(p.width),
                "height": number(p.height),
                "video_frames": number(p.frames), "motion_bucket_id": number(p.motionBucket), "fps": number(p.fps), "augmentation_level": 0,
            ]
        )
        graph["4"] = node("VideoLinearCFGGuidance", ["model": link("1", 0), "min_cfg": 1.0])
        graph["5"] = node(
            "KSampler",
            [
                "seed": .number(Double(p.seed ?? 0)), "steps": number(p.steps), "cfg": .number(p.cfg ?? 2.5),
                "sampler_name": .string(p.sampler ?? "euler"),
                "scheduler": .string(p.scheduler ?? "karras"), "denoise": .number(p.denoise ?? 1), "model": link("4", 0),
                "positive": link("3", 0),
                "negative": link("3", 1), "latent_image": link("3", 2),
            ]
        )
        graph["6"] = node("VAEDecode", ["samples": link("5", 0), "vae": link("1", 2)])
        graph["7"] = node(
            "SaveAnimatedWEBP",
            [
                "images": link("6", 0), "filename_prefix": "storyboard", "fps": number(p.fps), "lossless": false, "quality": 85,
                "method": "default",
            ]
        )
        return .object(graph)
    }

    /// Why `graph` cannot run on a server with `capabilities` (empty: it can). Checked before
    /// anything is sent, so a job never waits in a queue that will refuse it.
    public static func problems(of graph: JSONValue, on capabilities: ServerCapabilities) -> [String] {
        guard let nodes = graph.objectValue else { return ["the workflow is not a JSON object"] }
        var problems: [String] = []
        for (id, value) in nodes.sorted(by: { $0.key < $1.key }) {
            guard let type = value["class_type"]?.stringValue else {
                problems.append("node \(id) has no class_type")
                continue
            }
            if !capabilities.nodeTypes.contains(type) { problems.append("node \(id): the server has no node type \(type)") }
            if let checkpoint = value["inputs"]?["ckpt_name"]?.stringValue, !capabilities.checkpoints.contains(checkpoint) {
                problems.append("node \(id): the server has no checkpoint \(checkpoint)")
            }
            if let lora = value["inputs"]?["lora_name"]?.stringValue, !capabilities.loras.contains(lora) {
                problems.append("node \(id): the server has no LoRA \(lora)")
            }
        }
        return problems
    }

    /// The model files `graph` loads (checkpoints and LoRAs), for picking a server that has them.
    public static func models(in graph: JSONValue) -> (checkpoints: [String], loras: [String]) {
        let nodes = graph.objectValue?.values.map { $0 } ?? []
        return (
            nodes.compactMap { $0["inputs"]?["ckpt_name"]?.stringValue }.sorted(),
            nodes.compactMap { $0["inputs"]?["lora_name"]?.stringValue }.sorted()
        )
    }

    private static func node(_ type: String, _ inputs: [String: JSONValue]) -> JSONValue {
        ["class_type": .string(type), "inputs": .object(inputs)]
    }

    private static func link(_ id: String, _ output: Int) -> JSONValue { [.string(id), .number(Double(output))] }
    private static func number(_ value: Int?) -> JSONValue { .number(Double(value ?? 0)) }
}
