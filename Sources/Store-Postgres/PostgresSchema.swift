/// The PostgreSQL schema of zephir-models, as named migrations (documented in `docs/schema.md`).
///
/// The same tables, columns and meanings as the SQLite store's, migration for migration, with
/// PostgreSQL types: `BYTEA` for blobs, `BIGINT` identities for ids, `INTEGER` 0/1 for booleans
/// (so that the queries of `docs/schema.md` read both stores alike). A migration is registered
/// by name and never edited once shipped; applied ones are recorded in `zephir_migrations`.
enum PostgresSchema {
    /// A named migration: statements run in order, in the migrating transaction.
    struct Migration: Sendable {
        var identifier: String
        var statements: [String]
    }

    /// Every migration, in order.
    static let migrations: [Migration] = [
        Migration(identifier: "v1", statements: v1),
        Migration(identifier: "v2-layer-history-outbox", statements: v2),
        Migration(identifier: "v3-layer-outline", statements: v3),
        Migration(identifier: "v4-drop-variable-by-name", statements: v4),
        Migration(identifier: "v5-conflict-fields", statements: v5),
        Migration(identifier: "v6-drop-boolean-checks", statements: v6),
        Migration(identifier: "v7-trusted-root", statements: v7),
        // How each mirror of a source fared in its last attempt (SPEC §5.2), as JSON.
        Migration(identifier: "v8-mirror-results", statements: ["ALTER TABLE source_state ADD COLUMN last_mirrors TEXT"]),
    ]

    /// The newest trusted root of each source with a pinned root, as in the SQLite store; not
    /// part of the layer history (`rollback` never restores an older root).
    private static let v7 = [
        """
        CREATE TABLE trusted_root (
            source          TEXT PRIMARY KEY NOT NULL,
            version         BIGINT NOT NULL,
            expires         TEXT NOT NULL,
            trusted_at      TEXT NOT NULL,
            envelope        BYTEA NOT NULL
        )
        """,
    ]

    /// The 0/1 checks of v1 on `variable.mandatory`, `source_state.held` and
    /// `conflict.acknowledged` go: the SQLite store never had them (the schema-parity test
    /// compares the two), and only the run applier writes these columns.
    private static let v6 = [
        "ALTER TABLE variable DROP CONSTRAINT IF EXISTS variable_mandatory_check",
        "ALTER TABLE source_state DROP CONSTRAINT IF EXISTS source_state_held_check",
        "ALTER TABLE conflict DROP CONSTRAINT IF EXISTS conflict_acknowledged_check",
    ]

    /// Each conflict's structured fields as a JSON object, as in the SQLite store.
    private static let v5 = [
        "ALTER TABLE conflict ADD COLUMN fields TEXT",
    ]

    /// The outline of each installed layer (see `LayerOutline`), so that a new version decodes
    /// only the files that changed.
    private static let v3 = [
        """
        CREATE TABLE layer_outline (
            source          TEXT PRIMARY KEY NOT NULL REFERENCES source_layer (source) ON DELETE CASCADE,
            digest          TEXT NOT NULL,
            outline         BYTEA NOT NULL
        )
        """,
    ]

    /// The unique index on variable names goes, as in the SQLite store: the reader refuses a
    /// name written twice in a model, and the run applier checks the models it did not decode.
    private static let v4 = [
        "DROP INDEX variable_by_name",
    ]

    /// Layer history (for rollback) and the notification outbox, as in the SQLite store.
    private static let v2 = [
        """
        CREATE TABLE layer_history (
            run             BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            source          TEXT NOT NULL,
            removed         INTEGER NOT NULL DEFAULT 0,
            version         BIGINT,
            digest          TEXT,
            expires         TEXT,
            installed_at    TEXT,
            envelope        BYTEA,
            PRIMARY KEY (run, source)
        )
        """,
        "CREATE INDEX layer_history_by_source ON layer_history (source, run)",
        """
        CREATE TABLE layer_history_file (
            run             BIGINT NOT NULL,
            source          TEXT NOT NULL,
            path            TEXT NOT NULL,
            sha256          TEXT NOT NULL REFERENCES blob (sha256),
            size            BIGINT NOT NULL,
            PRIMARY KEY (run, source, path),
            FOREIGN KEY (run, source) REFERENCES layer_history (run, source) ON DELETE CASCADE
        )
        """,
        "CREATE INDEX layer_history_file_by_sha256 ON layer_history_file (sha256)",
        "CREATE TABLE history_start (run BIGINT NOT NULL)",
        "INSERT INTO history_start (run) SELECT COALESCE(MAX(id), 0) FROM run",
        """
        INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope)
            SELECT (SELECT MAX(id) FROM run), source, version, digest, expires, installed_at, envelope FROM source_layer
            WHERE EXISTS (SELECT 1 FROM run)
        """,
        """
        INSERT INTO layer_history_file (run, source, path, sha256, size)
            SELECT (SELECT MAX(id) FROM run), source, path, sha256, size FROM layer_file WHERE EXISTS (SELECT 1 FROM run)
        """,
        """
        CREATE TABLE outbox (
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run             BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            sink            TEXT NOT NULL,
            payload         BYTEA NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt    TEXT NOT NULL,
            delivered_at    TEXT,
            last_error      TEXT
        )
        """,
        "CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt)",
    ]

    /// The table recording applied migrations.
    static let migrationTable = """
        CREATE TABLE IF NOT EXISTS zephir_migrations (
            identifier      TEXT PRIMARY KEY NOT NULL,
            applied_at      TIMESTAMPTZ NOT NULL DEFAULT now()
        )
        """

    /// The first schema: the resolved root layer, local child models, source layers, runs and conflicts.
    private static let v1 = [
        """
        CREATE TABLE version (
            name            TEXT PRIMARY KEY NOT NULL,
            label           TEXT NOT NULL,
            end_of_support  TEXT,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE release (
            name            TEXT PRIMARY KEY NOT NULL,
            version         TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('testing', 'stable', 'oldstable', 'eol')),
            date            TEXT NOT NULL,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE service (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            description     TEXT NOT NULL,
            packages        TEXT NOT NULL,
            depends         TEXT NOT NULL,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL,
            PRIMARY KEY (release, name)
        )
        """,
        """
        CREATE TABLE model (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            origin          TEXT NOT NULL DEFAULT 'root' CHECK (origin IN ('root', 'local')),
            parent          TEXT,
            description     TEXT NOT NULL,
            source          TEXT,
            digest          TEXT NOT NULL,
            PRIMARY KEY (release, name)
        )
        """,
        """
        CREATE TABLE model_service (
            release         TEXT NOT NULL,
            model           TEXT NOT NULL,
            position        INTEGER NOT NULL,
            service         TEXT NOT NULL,
            PRIMARY KEY (release, model, position),
            FOREIGN KEY (release, model) REFERENCES model (release, name) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE variable (
            release         TEXT NOT NULL,
            model           TEXT NOT NULL,
            position        INTEGER NOT NULL,
            name            TEXT NOT NULL,
            type            TEXT NOT NULL,
            default_value   TEXT,
            mandatory       INTEGER NOT NULL CHECK (mandatory IN (0, 1)),
            description     TEXT NOT NULL,
            choices         TEXT,
            PRIMARY KEY (release, model, position),
            FOREIGN KEY (release, model) REFERENCES model (release, name) ON DELETE CASCADE
        )
        """,
        "CREATE UNIQUE INDEX variable_by_name ON variable (release, model, name)",
        """
        CREATE TABLE local_model (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            parent          TEXT NOT NULL,
            description     TEXT NOT NULL,
            parent_digest   TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            PRIMARY KEY (release, name)
        )
        """,
        """
        CREATE TABLE local_override (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            position        INTEGER NOT NULL,
            variable        TEXT NOT NULL,
            value           TEXT NOT NULL,
            PRIMARY KEY (release, name, position),
            FOREIGN KEY (release, name) REFERENCES local_model (release, name) ON DELETE CASCADE
        )
        """,
        """
        CREATE TABLE local_service (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            position        INTEGER NOT NULL,
            service         TEXT NOT NULL,
            action          TEXT NOT NULL CHECK (action IN ('add', 'remove')),
            PRIMARY KEY (release, name, position),
            FOREIGN KEY (release, name) REFERENCES local_model (release, name) ON DELETE CASCADE
        )
        """,
        // A key names one model, root or local.
        """
        CREATE FUNCTION local_model_key_is_free() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM model WHERE release = NEW.release AND name = NEW.name) THEN
                RAISE EXCEPTION 'a local model cannot take the key of a root model' USING ERRCODE = 'unique_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER local_model_key_is_free BEFORE INSERT ON local_model
        FOR EACH ROW EXECUTE FUNCTION local_model_key_is_free()
        """,
        """
        CREATE FUNCTION model_key_is_free() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM local_model WHERE release = NEW.release AND name = NEW.name) THEN
                RAISE EXCEPTION 'a root model cannot take the key of a local model (name-collision)' USING ERRCODE = 'unique_violation';
            END IF;
            RETURN NEW;
        END
        $$
        """,
        """
        CREATE TRIGGER model_key_is_free BEFORE INSERT ON model
        FOR EACH ROW EXECUTE FUNCTION model_key_is_free()
        """,
        """
        CREATE TABLE source_layer (
            source          TEXT PRIMARY KEY NOT NULL,
            version         BIGINT NOT NULL,
            digest          TEXT NOT NULL,
            expires         TEXT NOT NULL,
            installed_at    TEXT NOT NULL,
            envelope        BYTEA NOT NULL
        )
        """,
        """
        CREATE TABLE blob (
            sha256          TEXT PRIMARY KEY NOT NULL,
            bytes           BYTEA NOT NULL
        )
        """,
        """
        CREATE TABLE layer_file (
            source          TEXT NOT NULL REFERENCES source_layer (source) ON DELETE CASCADE,
            path            TEXT NOT NULL,
            sha256          TEXT NOT NULL REFERENCES blob (sha256),
            size            BIGINT NOT NULL,
            PRIMARY KEY (source, path)
        )
        """,
        "CREATE INDEX layer_file_by_sha256 ON layer_file (sha256)",
        """
        CREATE TABLE source_state (
            source          TEXT PRIMARY KEY NOT NULL,
            held            INTEGER NOT NULL DEFAULT 0 CHECK (held IN (0, 1)),
            version_floor   BIGINT,
            last_attempt    TEXT,
            last_result     TEXT,
            last_message    TEXT
        )
        """,
        """
        CREATE TABLE run (
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            started_at      TEXT NOT NULL,
            finished_at     TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('applied', 'unchanged', 'failed')),
            sources         TEXT NOT NULL,
            models_added    INTEGER NOT NULL,
            models_changed  INTEGER NOT NULL,
            models_removed  INTEGER NOT NULL,
            conflict_count  INTEGER NOT NULL,
            resolution      TEXT
        )
        """,
        """
        CREATE TABLE conflict (
            id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            run             BIGINT NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            kind            TEXT NOT NULL,
            severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
            subject         TEXT NOT NULL,
            sources         TEXT NOT NULL,
            detail          TEXT NOT NULL,
            acknowledged    INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1))
        )
        """,
        "CREATE INDEX conflict_by_run ON conflict (run)",
    ]
}
