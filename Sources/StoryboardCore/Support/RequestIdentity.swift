/// The id of the HTTP request being served, carried down to the repository layer so that a
/// database error logged there can be matched with the response the client saw.
public enum RequestIdentity {
    @TaskLocal public static var current: String?
}
