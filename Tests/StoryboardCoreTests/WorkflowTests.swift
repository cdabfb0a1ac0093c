import Foundation
import StoryboardCore
import Testing

@Suite("Workflows", .timeLimit(.minutes(1)))
struct WorkflowTests {
    static let graph: JSONValue = [
        "1": ["class_type": "CheckpointLoaderSimple", "inputs": ["ckpt_name": "a.safetensors"]],
        "2": ["class_type": "CLIPTextEncode", "inputs": ["text": "", "clip": ["1", 1]]],
        "3": ["class_type": "KSampler", "inputs": ["seed": 0, "steps": 4, "model": ["1", 0], "positive": ["2", 0]]],
        "4": ["class_type": "EmptyLatentImage", "inputs": ["width": 512, "height": 512]],
    ]

    @Test("a mapping puts every value where it says and leaves the rest of the graph alone")
    func render() throws {
        var errors = FieldErrors()
        let mapping = WorkflowMapping.parse(
            graph: Self.graph,
            mapping: [
                "prompt": ["node": "2", "input": "text"], "seed": ["node": "3", "input": "seed"],
                "width": [["node": "4", "input": "width"], ["node": "4", "input": "height"]],
            ],
            generationType: .image, errors: &errors
        )
        #expect(errors.isEmpty, "\(errors.fields)")
        let values = WorkflowMapping.values(
            prompt: "a boat", negativePrompt: nil, params: GenerationParams(width: 640, steps: 9, seed: 5), checkpoint: "b.safetensors",
            image: nil)
        let rendered = mapping.render(Self.graph, values: values)
        #expect(rendered["2"]?["inputs"]?["text"] == "a boat")
        #expect(rendered["2"]?["inputs"]?["clip"] == ["1", 1], "links stay")
        #expect(rendered["3"]?["inputs"]?["seed"] == 5)
        #expect(rendered["3"]?["inputs"]?["steps"] == 4, "steps has no slot in this mapping")
        #expect(rendered["4"]?["inputs"]?["width"] == 640)
        #expect(rendered["4"]?["inputs"]?["height"] == 640, "one slot, two targets")
        #expect(rendered["1"]?["inputs"]?["ckpt_name"] == "a.safetensors", "no checkpoint slot: the graph's own")
        #expect(WorkflowMapping.stored(mapping.json) == mapping, "what is stored reads back the same")
    }

    @Test("mapping problems are named per slot")
    func problems() {
        var errors = FieldErrors()
        _ = WorkflowMapping.parse(
            graph: Self.graph,
            mapping: [
                "seed": ["node": "9", "input": "seed"], "steps": ["node": "3", "input": "model"], "cfg": ["node": "3", "input": "cfg"],
                "hue": ["node": "3", "input": "seed"],
            ],
            generationType: .video, errors: &errors
        )
        #expect(errors.fields["mapping.prompt"] != nil)
        #expect(errors.fields["mapping.image"] != nil)
        #expect(errors.fields["mapping.seed"]?.contains("node 9") == true)
        #expect(errors.fields["mapping.steps"]?.contains("link") == true)
        #expect(errors.fields["mapping.cfg"]?.contains("no input cfg") == true)
        #expect(errors.fields["mapping.hue"] != nil)
    }

    @Test("the image-to-video graph starts from the given image and carries frames, fps and motion")
    func imageToVideo() throws {
        let graph = Workflow.imageToVideo(
            checkpoint: "svd.safetensors", image: "storyboard-abc.png", params: GenerationParams(seed: 3, frames: 14, motionBucket: 90))
        let nodes = try #require(graph.objectValue)
        #expect(nodes.values.first { $0["class_type"] == "LoadImage" }?["inputs"]?["image"] == "storyboard-abc.png")
        let conditioning = try #require(nodes.values.first { $0["class_type"] == "SVD_img2vid_Conditioning" })
        #expect(conditioning["inputs"]?["video_frames"] == 14)
        #expect(conditioning["inputs"]?["motion_bucket_id"] == 90)
        #expect(conditioning["inputs"]?["width"] == 1024)
        #expect(conditioning["inputs"]?["height"] == 576)
        #expect(nodes.values.contains { $0["class_type"] == "SaveAnimatedWEBP" })
        #expect(Workflow.models(in: graph).checkpoints == ["svd.safetensors"])
        let capabilities = ServerCapabilities(
            nodeTypes: ["ImageOnlyCheckpointLoader", "LoadImage", "SVD_img2vid_Conditioning", "KSampler", "VAEDecode", "SaveAnimatedWEBP"],
            checkpoints: ["svd.safetensors"])
        #expect(Workflow.problems(of: graph, on: capabilities) == ["node 4: the server has no node type VideoLinearCFGGuidance"])
    }
}
