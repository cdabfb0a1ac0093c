extension Migration {
    /// Scenes, clips, their gallery and versions, characters, style templates, the media store's
    /// index and the trash's deletions. Fields keep the audit's names; the indexes are the
    /// audit's, its recommended additions, and what the listing, tree and trash queries read.
    static let createContent = Migration(
        id: 2,
        name: "create_content",
        up: { engine in
            let d = SchemaDialect(engine)
            let name = "TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200)"
            let no = d.booleanLiteral(false)
            var statements = [
                """
                CREATE TABLE media_files (
                    id TEXT PRIMARY KEY NOT NULL,
                    content_type TEXT NOT NULL,
                    file_extension TEXT NOT NULL,
                    size_bytes \(d.bigint) NOT NULL CHECK (size_bytes >= 0),
                    created_at TEXT NOT NULL
                )
                """,
                // No REFERENCES: SQLite cannot drop a foreign-key column in `down`; the media store's
                // clean-up checks this column in the same transaction that removes a file's row.
                "ALTER TABLE projects ADD COLUMN music_media_id TEXT",
                "CREATE INDEX projects_music ON projects (music_media_id) WHERE music_media_id IS NOT NULL",
                // +1 in every transaction that changes anything under the project (it is how the
                // project row is locked): the tree's ETag, immune to clocks that disagree.
                "ALTER TABLE projects ADD COLUMN tree_version \(d.bigint) NOT NULL DEFAULT 0",
                // The audit's missing name index; search is a substring match, so this serves sorts by name.
                "CREATE INDEX projects_name ON projects (name, id) WHERE deleted_at IS NULL",
                """
                CREATE TABLE scenes (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    name \(name),
                    description TEXT,
                    lyrics TEXT,
                    "order" INTEGER NOT NULL,
                    parent_scene_id TEXT REFERENCES scenes (id),
                    is_alternate \(d.boolean) NOT NULL DEFAULT \(no),
                    alternate_number INTEGER,
                    CHECK ((parent_scene_id IS NULL) = (is_alternate = \(no)))
                )
                """,
                // Dense, unique order among a project's live primary scenes.
                #"CREATE UNIQUE INDEX scenes_order ON scenes (project_id, "order") WHERE deleted_at IS NULL AND parent_scene_id IS NULL"#,
                #"CREATE INDEX scenes_project_order ON scenes (project_id, "order")"#,
                "CREATE INDEX scenes_parent ON scenes (parent_scene_id, alternate_number) WHERE parent_scene_id IS NOT NULL",
                "CREATE INDEX scenes_is_alternate ON scenes (is_alternate)",
                """
                CREATE TABLE characters (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    name \(name),
                    description TEXT,
                    lora TEXT,
                    trigger_words TEXT NOT NULL DEFAULT '[]',
                    style_notes TEXT
                )
                """,
                "CREATE UNIQUE INDEX characters_project_name ON characters (project_id, name) WHERE deleted_at IS NULL",
                "CREATE INDEX characters_project ON characters (project_id, created_at)",
                """
                CREATE TABLE style_templates (
                    \(d.metadataColumns),
                    project_id TEXT REFERENCES projects (id),
                    name \(name),
                    description TEXT,
                    prompt_template TEXT NOT NULL,
                    negative_prompt_template TEXT,
                    default_params TEXT,
                    use_count INTEGER NOT NULL DEFAULT 0 CHECK (use_count >= 0),
                    is_global \(d.boolean) NOT NULL DEFAULT \(no)
                )
                """,
                "CREATE UNIQUE INDEX style_templates_project_name ON style_templates (project_id, name) WHERE deleted_at IS NULL AND project_id IS NOT NULL",
                "CREATE UNIQUE INDEX style_templates_global_name ON style_templates (name) WHERE deleted_at IS NULL AND project_id IS NULL",
                "CREATE INDEX style_templates_use_count ON style_templates (use_count DESC, id DESC) WHERE deleted_at IS NULL",
                "CREATE INDEX style_templates_project_use_count ON style_templates (project_id, use_count DESC, id DESC)",
                """
                CREATE TABLE clips (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    scene_id TEXT NOT NULL REFERENCES scenes (id),
                    name \(name),
                    lyrics TEXT,
                    length \(d.double) NOT NULL CHECK (length > 0),
                    timeline_position \(d.double) NOT NULL CHECK (timeline_position >= 0 AND timeline_position <= 10000),
                    "order" INTEGER NOT NULL,
                    image_prompt TEXT,
                    video_prompt TEXT,
                    negative_prompt TEXT,
                    selected_image_id TEXT,
                    selected_video_id TEXT,
                    character_id TEXT REFERENCES characters (id),
                    style_template_id TEXT REFERENCES style_templates (id),
                    active_version INTEGER,
                    parent_clip_id TEXT REFERENCES clips (id),
                    is_alternate \(d.boolean) NOT NULL DEFAULT \(no),
                    alternate_number INTEGER,
                    CHECK ((parent_clip_id IS NULL) = (is_alternate = \(no)))
                )
                """,
                #"CREATE UNIQUE INDEX clips_order ON clips (scene_id, "order") WHERE deleted_at IS NULL AND parent_clip_id IS NULL"#,
                #"CREATE INDEX clips_scene_order ON clips (scene_id, "order")"#,
                "CREATE INDEX clips_scene_position ON clips (scene_id, timeline_position)",
                "CREATE INDEX clips_project_created ON clips (project_id, created_at)",
                "CREATE INDEX clips_character ON clips (character_id) WHERE character_id IS NOT NULL",
                "CREATE INDEX clips_style_template ON clips (style_template_id) WHERE style_template_id IS NOT NULL",
                "CREATE INDEX clips_parent ON clips (parent_clip_id, alternate_number) WHERE parent_clip_id IS NOT NULL",
                """
                CREATE TABLE gallery_items (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    clip_id TEXT NOT NULL REFERENCES clips (id),
                    content_type TEXT NOT NULL CHECK (content_type IN ('image', 'video')),
                    media_file_id TEXT REFERENCES media_files (id),
                    prompt TEXT,
                    negative_prompt TEXT,
                    seed \(d.bigint),
                    server_id TEXT,
                    server_name TEXT,
                    model_name TEXT,
                    model_type TEXT,
                    generation_params TEXT,
                    job_id TEXT,
                    output_index INTEGER
                )
                """,
                "CREATE INDEX gallery_items_clip ON gallery_items (clip_id, created_at)",
                "CREATE INDEX gallery_items_project ON gallery_items (project_id)",
                "CREATE INDEX gallery_items_media ON gallery_items (media_file_id) WHERE media_file_id IS NOT NULL",
                // A job's outputs are attached exactly once.
                "CREATE UNIQUE INDEX gallery_items_job_output ON gallery_items (job_id, output_index) WHERE job_id IS NOT NULL",
                """
                CREATE TABLE clip_versions (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    clip_id TEXT NOT NULL REFERENCES clips (id),
                    number INTEGER NOT NULL CHECK (number >= 1),
                    image_prompt TEXT,
                    video_prompt TEXT,
                    negative_prompt TEXT,
                    selected_image_id TEXT,
                    selected_video_id TEXT,
                    length \(d.double) NOT NULL,
                    timeline_position \(d.double) NOT NULL,
                    generation_params TEXT
                )
                """,
                "CREATE UNIQUE INDEX clip_versions_number ON clip_versions (clip_id, number)",
                "CREATE INDEX clip_versions_project ON clip_versions (project_id)",
                """
                CREATE TABLE character_images (
                    \(d.metadataColumns),
                    project_id TEXT NOT NULL REFERENCES projects (id),
                    character_id TEXT NOT NULL REFERENCES characters (id),
                    media_file_id TEXT NOT NULL REFERENCES media_files (id),
                    content_type TEXT NOT NULL
                )
                """,
                "CREATE INDEX character_images_character ON character_images (character_id, created_at)",
                "CREATE INDEX character_images_project ON character_images (project_id)",
                "CREATE INDEX character_images_media ON character_images (media_file_id)",
                """
                CREATE TABLE deletions (
                    id TEXT PRIMARY KEY NOT NULL,
                    root_type TEXT NOT NULL,
                    root_id TEXT NOT NULL,
                    root_name TEXT NOT NULL,
                    project_id TEXT,
                    deleted_at TEXT NOT NULL,
                    deleted_by TEXT,
                    item_count INTEGER NOT NULL
                )
                """,
                "CREATE INDEX deletions_deleted_at ON deletions (deleted_at DESC, id DESC)",
                "CREATE INDEX deletions_type ON deletions (root_type, deleted_at DESC, id DESC)",
                "CREATE INDEX deletions_root ON deletions (root_id)",
            ]
            // Every soft-deletable table: restore and purge by deletion. (Live rows are listed
            // through the partial indexes above, `WHERE deleted_at IS NULL`; the trash is listed
            // and aged through `deletions`, so no table needs an index on `deleted_at` itself,
            // and a cascade over thousands of rows updates one index per row, not three.)
            for table in ["scenes", "clips", "characters", "style_templates", "gallery_items", "clip_versions", "character_images"] {
                statements.append("CREATE INDEX \(table)_deletion ON \(table) (deletion_id) WHERE deletion_id IS NOT NULL")
            }
            return statements
        },
        down: { _ in
            [
                "DROP TABLE deletions",
                "DROP TABLE character_images",
                "DROP TABLE clip_versions",
                "DROP TABLE gallery_items",
                "DROP TABLE clips",
                "DROP TABLE style_templates",
                "DROP TABLE characters",
                "DROP TABLE scenes",
                "DROP INDEX projects_name",
                "ALTER TABLE projects DROP COLUMN tree_version",
                "DROP INDEX projects_music",
                "ALTER TABLE projects DROP COLUMN music_media_id",
                "DROP TABLE media_files",
            ]
        }
    )
}
