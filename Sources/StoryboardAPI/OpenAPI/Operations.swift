import StoryboardCore

/// Every route the server has, as documented. `OpenAPIRouteTests` fails when this list and the
/// router disagree, in either direction.
enum Operations {
    static var all: [OpenAPIOperation] { operations + projects }

    static let operations: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/health", operationID: "getHealth", summary: "Server and database health", tag: "Operations",
            successDescription: "The server and its database answer", responseSchema: "Health", errors: [], isPublic: true
        ),
        OpenAPIOperation(
            method: "GET", path: "/metrics", operationID: "getMetrics", summary: "Prometheus metrics (text format)", tag: "Operations"
        ),
        OpenAPIOperation(
            method: "GET", path: "/openapi.json", operationID: "getOpenAPI", summary: "This document", tag: "Operations"
        ),
    ]

    static let projects: [OpenAPIOperation] = [
        OpenAPIOperation(
            method: "GET", path: "/api/projects", operationID: "listProjects", summary: "List projects, newest first", tag: "Projects",
            parameters: [["name": "q", "in": "query", "schema": ["type": "string"], "description": "Name contains (case-insensitive)"]]
                + OpenAPIDocument.pageParameters + [OpenAPIDocument.includeDeleted],
            responseSchema: "ProjectList", errors: [400]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects", operationID: "createProject", summary: "Create a project", tag: "Projects",
            requestSchema: "ProjectCreate", successStatus: 201, successDescription: "Created", responseSchema: "Project",
            responseHeaders: OpenAPIDocument.etagHeader.merging(["Location": ["schema": ["type": "string"]]]) { a, _ in a }
        ),
        OpenAPIOperation(
            method: "GET", path: "/api/projects/{id}", operationID: "getProject", summary: "Read a project", tag: "Projects",
            parameters: [OpenAPIDocument.includeDeleted], responseSchema: "Project", responseHeaders: OpenAPIDocument.etagHeader, errors: [404]
        ),
        OpenAPIOperation(
            method: "PATCH", path: "/api/projects/{id}", operationID: "updateProject", summary: "Change a project's name or description",
            tag: "Projects", parameters: [OpenAPIDocument.ifMatch], requestSchema: "ProjectPatch", responseSchema: "Project",
            responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "DELETE", path: "/api/projects/{id}", operationID: "deleteProject", summary: "Move a project to the trash",
            tag: "Projects", parameters: [OpenAPIDocument.ifMatch], successStatus: 204, successDescription: "In the trash", errors: [404, 412]
        ),
        OpenAPIOperation(
            method: "POST", path: "/api/projects/{id}/restore", operationID: "restoreProject", summary: "Bring a project back from the trash",
            tag: "Projects", responseSchema: "Project", responseHeaders: OpenAPIDocument.etagHeader, errors: [404, 409]
        ),
    ]
}
