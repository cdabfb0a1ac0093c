import Foundation
import StoryboardAPI
import StoryboardCore
import StoryboardTestSupport
import Testing

/// The checker that every API test's responses pass through must itself catch drift: these
/// feed it responses that break the document in each way it knows.
@Suite("Response contract")
struct ResponseContractTests {
    let contract = ResponseContract.served

    @Test("the schema checker reports each kind of mismatch")
    func schemaChecker() throws {
        let document: JSONValue = [
            "components": [
                "schemas": [
                    "Thing": [
                        "type": "object", "required": ["id", "kind"], "additionalProperties": false,
                        "properties": [
                            "id": ["type": "string", "format": "uuid"],
                            "kind": ["type": "string", "enum": ["a", "b"]],
                            "count": ["type": "integer", "minimum": 0],
                            "note": ["type": ["string", "null"], "maxLength": 3],
                            "tags": ["type": "array", "items": ["type": "string"], "maxItems": 1],
                        ],
                    ]
                ]
            ]
        ]
        let checker = JSONSchemaValidator(document: document)
        let schema: JSONValue = ["$ref": "#/components/schemas/Thing"]
        let good: JSONValue = ["id": "6f1c1a3e-2c6a-4d2b-9a55-0f8a1f0e9b11", "kind": "a", "count": 2, "note": .null, "tags": ["x"]]
        #expect(checker.problems(good, against: schema).isEmpty)

        func problems(_ change: (inout [String: JSONValue]) -> Void) -> [String] {
            var object = good.objectValue ?? [:]
            change(&object)
            return checker.problems(.object(object), against: schema)
        }
        #expect(problems { $0["id"] = nil } == [#"$: required member "id" is missing"#])
        #expect(problems { $0["id"] = "not-a-uuid" } == ["$.id: \"not-a-uuid\" is not a valid uuid"])
        #expect(problems { $0["kind"] = "c" } == [#"$.kind: "c" is not one of ["a","b"]"#])
        #expect(problems { $0["count"] = 1.5 } == ["$.count: expected integer, found number"])
        #expect(problems { $0["count"] = -1 } == ["$.count: -1 breaks minimum 0"])
        #expect(problems { $0["note"] = "long" } == ["$.note: length 4 breaks maxLength 3"])
        #expect(problems { $0["tags"] = ["x", "y"] } == ["$.tags: 2 items, maxItems is 1"])
        #expect(problems { $0["tags"] = [1] } == ["$.tags[0]: expected string, found number"])
        #expect(checker.problems(12, against: ["multipleOf": 8]) == ["$: 12 is not a multiple of 8"])
        #expect(checker.problems(["a", "a"], against: ["uniqueItems": true]) == ["$: items are not unique"])
        // Lengths count code points, as the server's limits do: one flag emoji is two.
        #expect(checker.problems("🇫🇷", against: ["maxLength": 1]) == ["$: length 2 breaks maxLength 1"])
        // A branch of anyOf the checker cannot read fails the check, even when another branch matches.
        #expect(
            checker.problems("x", against: ["anyOf": [["type": "string"], ["type": "string", "unknownKeyword": 1]]])
                == [#"$: the checker does not know the keyword "unknownKeyword""#])
        #expect(problems { $0["extra"] = true } == ["$.extra: no value is allowed here"])
        #expect(
            checker.problems(good, against: ["$ref": "#/components/schemas/Missing"]) == [
                ##"$: cannot resolve $ref "#/components/schemas/Missing""##
            ])
        #expect(
            checker.problems(good, against: ["type": "object", "unknownKeyword": 1]) == [
                #"$: the checker does not know the keyword "unknownKeyword""#
            ])
    }

    @Test("every keyword of the served document is one the checker reads")
    func documentKeywords() throws {
        var unknown: Set<String> = []
        let known: Set<String> = [
            "$ref", "type", "enum", "const", "properties", "required", "additionalProperties", "minProperties", "items", "minItems",
            "maxItems", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "pattern", "format",
            "allOf", "anyOf", "oneOf", "multipleOf", "uniqueItems", "contentEncoding", "contentMediaType", "description", "default",
            "example", "examples", "title", "deprecated", "readOnly", "writeOnly",
        ]
        func walk(_ schema: JSONValue) {
            guard let keywords = schema.objectValue else { return }
            for (keyword, argument) in keywords {
                if !known.contains(keyword) { unknown.insert(keyword) }
                switch keyword {
                case "properties": argument.objectValue?.values.forEach(walk)
                case "items", "additionalProperties": walk(argument)
                case "allOf", "anyOf", "oneOf": argument.arrayValue?.forEach(walk)
                default: break
                }
            }
        }
        let schemas = try #require(OpenAPIRoutes.document["components"]?["schemas"]?.objectValue)
        schemas.values.forEach(walk)
        #expect(unknown.isEmpty, "keywords the checker would reject: \(unknown.sorted())")
    }

    @Test("each create links to the operations on what it created, and every link names a real operation")
    func links() throws {
        let paths = try #require(OpenAPIRoutes.document["paths"]?.objectValue)
        var operations: [String: (path: String, operation: JSONValue)] = [:]
        for (path, item) in paths {
            for (_, operation) in item.objectValue ?? [:] {
                if let id = operation["operationId"]?.stringValue { operations[id] = (path, operation) }
            }
        }
        var linked = 0
        for (source, entry) in operations {
            for (_, response) in entry.operation["responses"]?.objectValue ?? [:] {
                for (name, link) in response["links"]?.objectValue ?? [:] {
                    linked += 1
                    let target = try #require(link["operationId"]?.stringValue)
                    #expect(operations[target] != nil, "\(source) links to \(target), which is no operation")
                    #expect(name == target)
                    #expect(link["parameters"]?["id"]?.stringValue?.hasPrefix("$response.body#/") == true)
                    #expect(operations[target]?.path.contains("{id}") == true, "\(source) → \(target) has no {id} to fill")
                }
            }
        }
        let project = try #require(operations["createProject"]?.operation["responses"]?["201"]?["links"]?.objectValue)
        for expected in ["getProject", "updateProject", "deleteProject", "createScene", "getProjectTimeline"] {
            #expect(project[expected]?["parameters"]?["id"] == "$response.body#/id", "createProject → \(expected)")
        }
        let generate = try #require(operations["generateClip"]?.operation["responses"]?["202"]?["links"]?.objectValue)
        #expect(generate["getJob"]?["parameters"]?["id"] == "$response.body#/jobs/0/id")
        // The fuzzer could not reach some 40 operations that need an existing id without them.
        #expect(linked >= 40, "\(linked) links")
    }

    @Test("a response that drifts from the served document is reported with its operation")
    func drift() throws {
        let project: JSONValue = [
            "id": "6f1c1a3e-2c6a-4d2b-9a55-0f8a1f0e9b11", "name": "Song", "description": .null, "version": 1,
            "created_at": "2026-12-07T10:00:00.000000Z", "updated_at": "2026-12-07T10:00:00.000000Z",
        ]
        let projectPath = "/api/projects/6f1c1a3e-2c6a-4d2b-9a55-0f8a1f0e9b11"
        func check(_ method: String, _ target: String, _ status: Int, _ body: JSONValue?, type: String? = "application/json") -> [String] {
            contract.problems(method: method, target: target, status: status, contentType: type, body: Data((body?.utf8 ?? [])))
        }
        let withoutName = project.objectValue.map { $0.filter { $0.key != "name" } }.map(JSONValue.object)
        let missing = check("GET", projectPath, 200, withoutName)
        #expect(missing.contains { $0.hasPrefix("GET /api/projects/{id} → 200") && $0.contains(#""name" is missing"#) }, "\(missing)")

        let teapot = check("GET", projectPath, 418, ["error": ["code": "NOT_FOUND", "message": "x", "request_id": "r"]])
        #expect(teapot.count == 1 && teapot[0].contains("status not in the document"), "\(teapot)")

        let bareError = check("GET", "/api/no-such-thing", 404, ["detail": "Not Found"])
        #expect(bareError.contains { $0.contains(#""error" is missing"#) }, "\(bareError)")

        let notJSON = contract.problems(
            method: "GET", target: projectPath, status: 200, contentType: "application/json", body: Data("<html>".utf8))
        #expect(notJSON == ["GET /api/projects/{id} → 200: the body is not JSON"])

        // The studio's own files are outside the document and not checked.
        #expect(check("GET", "/projects/abc", 200, nil, type: "text/html").isEmpty)
    }
}
