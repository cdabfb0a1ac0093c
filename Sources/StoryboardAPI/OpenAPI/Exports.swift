import StoryboardCore

/// What the route-coverage test compares with the router.
public enum OpenAPIRoutes {
    /// `METHOD /path/{param}` for every documented operation.
    public static var documented: [String] { Operations.all.map { "\($0.method) \($0.path)" } }
    /// The document `GET /openapi.json` serves, for the tests that check responses against it.
    public static var document: JSONValue { OpenAPIDocument.build(operations: Operations.all) }
}
