extension Migration {
    /// On PostgreSQL a project's generated results are counted in a row of their own, outside
    /// the project row, and the tree's stamp reads both. A finishing job then no longer takes
    /// the project row's lock for the whole of its attaching transaction, which made every job
    /// of a project's batch wait for the one before it, whatever the number of server
    /// processes (docs/decisions.md). A change of the count is announced like a change of the
    /// project row (migration 11). SQLite, with its single writer, counts results in the
    /// project row's `tree_version` and needs nothing.
    static let countProjectResults = Migration(
        id: 13,
        name: "count_project_results",
        up: { engine in
            let table = """
                CREATE TABLE project_result_counts (
                    project_id TEXT PRIMARY KEY NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
                    results INTEGER NOT NULL CHECK (results >= 0)
                )
                """
            switch engine {
            case .sqlite:
                return []
            case .postgresql:
                return [
                    table,
                    """
                    CREATE FUNCTION storyboard_results_counted() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        PERFORM pg_notify('storyboard_tree', NEW.project_id);
                        RETURN NULL;
                    END
                    $$
                    """,
                    """
                    CREATE TRIGGER project_result_counts_changed AFTER INSERT OR UPDATE ON project_result_counts
                    FOR EACH ROW EXECUTE FUNCTION storyboard_results_counted()
                    """,
                ]
            }
        },
        down: { engine in
            switch engine {
            case .sqlite:
                return []
            case .postgresql:
                return [
                    "DROP TRIGGER project_result_counts_changed ON project_result_counts", "DROP FUNCTION storyboard_results_counted()",
                    "DROP TABLE project_result_counts",
                ]
            }
        }
    )
}
