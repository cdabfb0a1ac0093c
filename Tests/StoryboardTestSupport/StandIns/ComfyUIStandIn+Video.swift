import Foundation
import Hummingbird
import NIOCore
import StoryboardCore

/// Image-to-video on the ComfyUI stand-in: `POST /upload/image` (multipart, as ComfyUI's
/// front end sends it) puts a file in the input folder that `LoadImage` then lists, and the
/// nodes of Stable Video Diffusion's image-to-video graph.
extension ComfyUIStandIn {
    /// Images uploaded to the input folder, by name.
    public var uploadedImages: [String: Data] { state.withLock { $0.inputs } }

    func upload(_ request: Request) async throws -> Response {
        var request = request
        let buffer = try await request.collectBody(upTo: 64 << 20)
        guard let type = request.headers[.contentType], let boundary = type.components(separatedBy: "boundary=").last,
            type.hasPrefix("multipart/form-data"),
            let part = Self.formFile(Data(buffer.readableBytesView), boundary: boundary, field: "image")
        else {
            return Response(status: .badRequest)
        }
        // ComfyUI keeps the base name only.
        let name = (part.filename as NSString).lastPathComponent
        state.withLock { $0.inputs[name] = part.data }
        return Self.json(["name": .string(name), "subfolder": "", "type": "input"])
    }

    /// The file of form field `field` in a multipart body.
    static func formFile(_ body: Data, boundary: String, field: String) -> (filename: String, data: Data)? {
        let delimiter = Data("--\(boundary)".utf8)
        var parts: [Data] = []
        var rest = body[...]
        while let range = rest.range(of: delimiter) {
            if range.lowerBound > rest.startIndex { parts.append(Data(rest[rest.startIndex..<range.lowerBound])) }
            rest = rest[range.upperBound...]
        }
        for part in parts {
            guard let headerEnd = part.range(of: Data("\r\n\r\n".utf8)) else { continue }
            let headers = String(decoding: part[part.startIndex..<headerEnd.lowerBound], as: UTF8.self)
            guard headers.contains("name=\"\(field)\""), let start = headers.range(of: "filename=\"") else { continue }
            let filename = String(headers[start.upperBound...].prefix { $0 != "\"" })
            var content = part[headerEnd.upperBound...]
            if content.suffix(2) == Data("\r\n".utf8) { content = content.dropLast(2) }
            return (filename, Data(content))
        }
        return nil
    }

    /// The image-to-video nodes of `/object_info`.
    static func videoNodes(checkpoints: [String], node: (String, [String: JSONValue], [String]) -> JSONValue) -> [String: JSONValue] {
        let int: JSONValue = ["INT", ["default": 0]]
        let float: JSONValue = ["FLOAT", ["default": 1.0]]
        return [
            "ImageOnlyCheckpointLoader": node(
                "ImageOnlyCheckpointLoader", ["ckpt_name": [.array(checkpoints.map(JSONValue.string)), [:]]],
                ["MODEL", "CLIP_VISION", "VAE"]),
            "SVD_img2vid_Conditioning": node(
                "SVD_img2vid_Conditioning",
                [
                    "clip_vision": ["CLIP_VISION"], "init_image": ["IMAGE"], "vae": ["VAE"], "width": int, "height": int,
                    "video_frames": int,
                    "motion_bucket_id": int, "fps": int, "augmentation_level": float,
                ],
                ["CONDITIONING", "CONDITIONING", "LATENT"]
            ),
            "VideoLinearCFGGuidance": node("VideoLinearCFGGuidance", ["model": ["MODEL"], "min_cfg": float], ["MODEL"]),
        ]
    }
}

extension ComfyUIStandIn {
    /// Every graph `POST /prompt` accepted, oldest first.
    public var submittedGraphs: [JSONValue] {
        state.withLock { state in
            let headers =
                state.history.values.compactMap { $0["prompt"] }
                + (state.running.map { [$0] } ?? []).map { JSONValue.array([.number(Double($0.number)), .string($0.id), $0.graph]) }
                + state.pending.map { JSONValue.array([.number(Double($0.number)), .string($0.id), $0.graph]) }
            return headers.compactMap { $0.arrayValue }.sorted { ($0.first?.doubleValue ?? 0) < ($1.first?.doubleValue ?? 0) }.compactMap {
                $0.count > 2 ? $0[2] : nil
            }
        }
    }
}
