import StoryboardCore

extension Operations {
    /// The page answers any id: the app itself reads the resource and says when it is missing.
    static func studioParameter(_ name: String, _ description: String) -> JSONValue {
        ["name": .string(name), "in": "path", "required": true, "schema": ["type": "string"], "description": .string(description)]
    }

    static var studio: [OpenAPIOperation] {
        let page = StudioController.deepLinks.map { path in
            let names = path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
            let operationName =
                path == "/"
                ? "Home" : path.split(whereSeparator: { "/{}_".contains($0) }).map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            return OpenAPIOperation(
                method: "GET", path: path, operationID: "studioPage\(operationName)",
                summary: "The web studio's page (the app routes this URL itself)", tag: "Web studio",
                parameters: names.map { studioParameter($0, "Read by the app, not by the server") },
                successDescription: "The app's index.html (revalidated: Cache-Control no-cache, ETag)",
                responseContentTypes: ["text/html"], otherResponses: [304: ["description": "Not modified (If-None-Match)"]], isPublic: true
            )
        }
        let version = studioParameter(
            "version", "The studio's build hash, from the page; files under the current one are cached for a year")
        let file = studioParameter("file", "A file name of the studio")
        return page + [
            OpenAPIOperation(
                method: "GET", path: "/app/{version}/{file}", operationID: "studioFile",
                summary: "A static file of the web studio (module, style sheet)",
                tag: "Web studio", parameters: [version, file], successDescription: "The file, with an ETag",
                responseContentTypes: ["text/javascript", "text/css"],
                otherResponses: [304: ["description": "Not modified (If-None-Match)"]],
                errors: [404], isPublic: true
            ),
            OpenAPIOperation(
                method: "GET", path: "/app/{version}/views/{file}", operationID: "studioViewFile",
                summary: "One view module of the web studio",
                tag: "Web studio", parameters: [version, file], successDescription: "The module, with an ETag",
                responseContentTypes: ["text/javascript"], otherResponses: [304: ["description": "Not modified (If-None-Match)"]],
                errors: [404], isPublic: true
            ),
        ]
    }
}
