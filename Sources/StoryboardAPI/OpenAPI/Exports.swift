/// What the route-coverage test compares with the router.
public enum OpenAPIRoutes {
    /// `METHOD /path/{param}` for every documented operation.
    public static var documented: [String] { Operations.all.map { "\($0.method) \($0.path)" } }
}
