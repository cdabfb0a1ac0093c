import Foundation
import StoryboardAPI
import StoryboardCore

/// The served OpenAPI document as a check on real responses: every response an API test
/// receives must have a status the document lists for its operation, and a JSON body of the
/// schema the document gives for that status. A drift between the code and the document then
/// fails the test that saw it, naming the operation and the first members that differ.
public struct ResponseContract: Sendable {
    public static let served = ResponseContract(document: OpenAPIRoutes.document)

    private let validator: JSONSchemaValidator
    private let routes: [Route]

    private struct Route: Sendable {
        let template: String
        let segments: [Substring]
        let operations: [String: JSONValue]
        /// Literal segments count more than parameters: `/api/projects/import` beats `/api/projects/{id}`.
        var literalCount: Int { segments.filter { !$0.hasPrefix("{") }.count }

        func matches(_ parts: [Substring]) -> Bool {
            guard parts.count == segments.count else { return false }
            return zip(segments, parts).allSatisfy { template, part in template.hasPrefix("{") ? !part.isEmpty : template == part }
        }
    }

    public init(document: JSONValue) {
        validator = JSONSchemaValidator(document: document)
        routes = (document["paths"]?.objectValue ?? [:]).map { template, item in
            Route(template: template, segments: template.split(separator: "/"), operations: item.objectValue ?? [:])
        }
    }

    /// What is wrong with this exchange, or an empty list. `target` is the request's path with
    /// its query, as sent.
    public func problems(method: String, target: String, status: Int, contentType: String?, body: Data) -> [String] {
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
        let parts = path.split(separator: "/")
        let candidates = routes.filter { $0.matches(parts) }.sorted { $0.literalCount > $1.literalCount }
        let verb = method == "HEAD" ? "get" : method.lowercased()
        guard let route = candidates.first(where: { $0.operations[verb] != nil }) ?? candidates.first else {
            // Outside the document: the studio's files, or an unknown API path, which is a 404 (or a
            // refusal before routing) in the error envelope.
            guard path.hasPrefix("/api/") else { return [] }
            return checkEnvelope(status: status, contentType: contentType, body: body, context: "\(method) \(path) (no such route)")
        }
        guard let operation = route.operations[verb] else {
            guard status == 405 || status == 403 || status == 401 else {
                return ["\(method) \(route.template): \(status) for a method the document does not list (expected 405)"]
            }
            return checkEnvelope(status: status, contentType: contentType, body: body, context: "\(method) \(route.template)")
        }
        let context = "\(method) \(route.template) → \(status)"
        guard var response = operation["responses"]?[String(status)] else {
            let listed = (operation["responses"]?.objectValue?.keys.sorted() ?? []).joined(separator: ", ")
            return ["\(context): status not in the document (it lists \(listed))"]
        }
        if let reference = response["$ref"]?.stringValue {
            guard let resolved = validator.resolve(reference) else { return ["\(context): cannot resolve \(reference)"] }
            response = resolved
        }
        guard method != "HEAD", let content = response["content"]?.objectValue else {
            if method != "HEAD", !body.isEmpty, status != 304 {
                return ["\(context): a body of \(body.count) bytes where the document promises none"]
            }
            return []
        }
        let mediaType = contentType.map {
            String($0.split(separator: ";", omittingEmptySubsequences: false).first ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        }
        guard let mediaType, let media = content[mediaType] ?? wildcard(mediaType, in: content) else {
            return ["\(context): Content-Type \(contentType ?? "none") is not among \(content.keys.sorted().joined(separator: ", "))"]
        }
        guard mediaType == "application/json" || mediaType.hasSuffix("+json"), let schema = media["schema"] else { return [] }
        guard let value = JSONValue(bytes: body) else { return ["\(context): the body is not JSON"] }
        return validator.problems(value, against: schema).prefix(8).map { "\(context): \($0)" }
    }

    private func wildcard(_ mediaType: String, in content: [String: JSONValue]) -> JSONValue? {
        let family = mediaType.split(separator: "/").first.map { "\($0)/*" }
        return family.flatMap { content[$0] } ?? content["*/*"]
    }

    private func checkEnvelope(status: Int, contentType: String?, body: Data, context: String) -> [String] {
        guard status >= 400 else { return ["\(context): \(status) outside the document"] }
        guard let value = JSONValue(bytes: body), let schema = validator.resolve("#/components/schemas/Error") else {
            return ["\(context): \(status) without the error envelope"]
        }
        return validator.problems(value, against: schema).map { "\(context): \($0)" }
    }
}

/// A response that does not match the served document.
public struct ContractViolation: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "the response breaks the OpenAPI document:\n" + problems.joined(separator: "\n") }
}
