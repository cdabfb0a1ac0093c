extension Migration {
    /// Generation servers (the audit's `comfyui_servers`): one live row per URL.
    static let createServers = Migration(
        id: 3,
        name: "create_servers",
        up: { engine in
            let d = SchemaDialect(engine)
            return [
                """
                CREATE TABLE comfyui_servers (
                    \(d.metadataColumns),
                    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
                    url TEXT NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
                    server_type TEXT NOT NULL CHECK (server_type IN ('comfyui', 'runpod')),
                    api_key TEXT,
                    endpoint_id TEXT,
                    is_active \(d.boolean) NOT NULL DEFAULT \(d.booleanLiteral(true)),
                    max_concurrent INTEGER NOT NULL DEFAULT 1 CHECK (max_concurrent BETWEEN 1 AND 64)
                )
                """,
                // The audit's unique URL, now among live rows only (a URL can be registered again after a delete).
                "CREATE UNIQUE INDEX comfyui_servers_url ON comfyui_servers (url) WHERE deleted_at IS NULL",
                // The audit's recommended is_active index, for the dispatcher's pick of live, active servers.
                "CREATE INDEX comfyui_servers_active ON comfyui_servers (is_active, created_at) WHERE deleted_at IS NULL",
                "CREATE INDEX comfyui_servers_live_created ON comfyui_servers (created_at, id) WHERE deleted_at IS NULL",
                "CREATE INDEX comfyui_servers_deletion ON comfyui_servers (deletion_id) WHERE deletion_id IS NOT NULL",
            ]
        },
        down: { _ in ["DROP TABLE comfyui_servers"] }
    )
}
