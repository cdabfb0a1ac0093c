extension Migration {
    /// On PostgreSQL, every change to a project's tree stamp (`version`, `tree_version`,
    /// `deleted_at`, or the row going away) is announced on the `storyboard_tree` channel with
    /// the project's id, whichever process or statement made it. Servers keep the stamps in
    /// memory while they listen (`TreeStampCache`), so a conditional GET of an unchanged tree
    /// costs no round trip. NOTIFY is delivered at commit, never for a rolled-back change.
    /// SQLite reads the stamp in process and needs nothing.
    static let notifyTreeChanges = Migration(
        id: 11,
        name: "notify_tree_changes",
        up: { engine in
            switch engine {
            case .sqlite:
                return []
            case .postgresql:
                return [
                    """
                    CREATE FUNCTION storyboard_tree_changed() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        PERFORM pg_notify('storyboard_tree', OLD.id);
                        RETURN NULL;
                    END
                    $$
                    """,
                    """
                    CREATE TRIGGER projects_tree_changed AFTER UPDATE OF version, tree_version, deleted_at OR DELETE ON projects
                    FOR EACH ROW EXECUTE FUNCTION storyboard_tree_changed()
                    """,
                ]
            }
        },
        down: { engine in
            switch engine {
            case .sqlite:
                return []
            case .postgresql:
                return ["DROP TRIGGER projects_tree_changed ON projects", "DROP FUNCTION storyboard_tree_changed()"]
            }
        }
    )
}
