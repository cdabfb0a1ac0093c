import StoryboardCore

/// A server reachable from the network with no token would give anyone full access.
public enum BindPolicy {
    /// Why `serve` must refuse to start, or nil when the address is fine.
    public static func refusal(for configuration: StoryboardConfiguration, allowInsecure: Bool) -> String? {
        guard !configuration.isLoopbackBind, configuration.apiToken == nil, !allowInsecure else { return nil }
        return
            "refusing to listen on \(configuration.host) without STORYBOARD_API_TOKEN: anyone who can reach it could read and delete everything. Set a token, bind 127.0.0.1, or pass --allow-insecure-bind"
    }
}
