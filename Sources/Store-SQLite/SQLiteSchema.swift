import GRDB

/// The SQLite schema of zephir-models, as named migrations (documented in `docs/schema.md`).
///
/// A migration is registered by name and never edited once shipped: a change to the schema is
/// a new migration appended to ``migrator``.
enum SQLiteSchema {
    /// Every migration, in order.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: v1)
        }
        migrator.registerMigration("v2-layer-history-outbox") { db in
            try db.execute(sql: v2)
        }
        migrator.registerMigration("v3-layer-outline") { db in
            try db.execute(sql: v3)
        }
        migrator.registerMigration("v4-drop-variable-by-name") { db in
            try db.execute(sql: v4)
        }
        migrator.registerMigration("v5-conflict-fields") { db in
            try db.execute(sql: v5)
        }
        // PostgreSQL only (its v1 had 0/1 checks this schema never had); kept here so that both
        // stores list the same migrations.
        migrator.registerMigration("v6-drop-boolean-checks") { _ in }
        migrator.registerMigration("v7-trusted-root") { db in
            try db.execute(sql: v7)
        }
        // How each mirror of a source fared in its last attempt (SPEC §5.2), as JSON.
        migrator.registerMigration("v8-mirror-results") { db in
            try db.execute(sql: "ALTER TABLE source_state ADD COLUMN last_mirrors TEXT")
        }
        return migrator
    }

    /// The first schema: the resolved root layer, local child models, source layers, runs and conflicts.
    private static let v1 = """
        CREATE TABLE version (
            name            TEXT PRIMARY KEY NOT NULL,
            label           TEXT NOT NULL,
            end_of_support  TEXT,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL
        );

        CREATE TABLE release (
            name            TEXT PRIMARY KEY NOT NULL,
            version         TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('testing', 'stable', 'oldstable', 'eol')),
            date            TEXT NOT NULL,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL
        );

        CREATE TABLE service (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            description     TEXT NOT NULL,
            packages        TEXT NOT NULL,
            depends         TEXT NOT NULL,
            source          TEXT NOT NULL,
            digest          TEXT NOT NULL,
            PRIMARY KEY (release, name)
        );

        CREATE TABLE model (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            origin          TEXT NOT NULL DEFAULT 'root' CHECK (origin IN ('root', 'local')),
            parent          TEXT,
            description     TEXT NOT NULL,
            source          TEXT,
            digest          TEXT NOT NULL,
            PRIMARY KEY (release, name)
        );

        CREATE TABLE model_service (
            release         TEXT NOT NULL,
            model           TEXT NOT NULL,
            position        INTEGER NOT NULL,
            service         TEXT NOT NULL,
            PRIMARY KEY (release, model, position),
            FOREIGN KEY (release, model) REFERENCES model (release, name) ON DELETE CASCADE
        ) WITHOUT ROWID;

        CREATE TABLE variable (
            release         TEXT NOT NULL,
            model           TEXT NOT NULL,
            position        INTEGER NOT NULL,
            name            TEXT NOT NULL,
            type            TEXT NOT NULL,
            default_value   TEXT,
            mandatory       INTEGER NOT NULL,
            description     TEXT NOT NULL,
            choices         TEXT,
            PRIMARY KEY (release, model, position),
            FOREIGN KEY (release, model) REFERENCES model (release, name) ON DELETE CASCADE
        ) WITHOUT ROWID;
        CREATE UNIQUE INDEX variable_by_name ON variable (release, model, name);

        CREATE TABLE local_model (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            parent          TEXT NOT NULL,
            description     TEXT NOT NULL,
            parent_digest   TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            PRIMARY KEY (release, name)
        );

        CREATE TABLE local_override (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            position        INTEGER NOT NULL,
            variable        TEXT NOT NULL,
            value           TEXT NOT NULL,
            PRIMARY KEY (release, name, position),
            FOREIGN KEY (release, name) REFERENCES local_model (release, name) ON DELETE CASCADE
        );

        CREATE TABLE local_service (
            release         TEXT NOT NULL,
            name            TEXT NOT NULL,
            position        INTEGER NOT NULL,
            service         TEXT NOT NULL,
            action          TEXT NOT NULL CHECK (action IN ('add', 'remove')),
            PRIMARY KEY (release, name, position),
            FOREIGN KEY (release, name) REFERENCES local_model (release, name) ON DELETE CASCADE
        );

        -- A key names one model, root or local.
        CREATE TRIGGER local_model_key_is_free BEFORE INSERT ON local_model
        WHEN EXISTS (SELECT 1 FROM model WHERE release = NEW.release AND name = NEW.name)
        BEGIN
            SELECT RAISE(ABORT, 'a local model cannot take the key of a root model');
        END;
        CREATE TRIGGER model_key_is_free BEFORE INSERT ON model
        WHEN EXISTS (SELECT 1 FROM local_model WHERE release = NEW.release AND name = NEW.name)
        BEGIN
            SELECT RAISE(ABORT, 'a root model cannot take the key of a local model (name-collision)');
        END;

        CREATE TABLE source_layer (
            source          TEXT PRIMARY KEY NOT NULL,
            version         INTEGER NOT NULL,
            digest          TEXT NOT NULL,
            expires         TEXT NOT NULL,
            installed_at    TEXT NOT NULL,
            envelope        BLOB NOT NULL
        );

        CREATE TABLE blob (
            sha256          TEXT PRIMARY KEY NOT NULL,
            bytes           BLOB NOT NULL
        );

        CREATE TABLE layer_file (
            source          TEXT NOT NULL REFERENCES source_layer (source) ON DELETE CASCADE,
            path            TEXT NOT NULL,
            sha256          TEXT NOT NULL REFERENCES blob (sha256),
            size            INTEGER NOT NULL,
            PRIMARY KEY (source, path)
        );
        CREATE INDEX layer_file_by_sha256 ON layer_file (sha256);

        CREATE TABLE source_state (
            source          TEXT PRIMARY KEY NOT NULL,
            held            INTEGER NOT NULL DEFAULT 0,
            version_floor   INTEGER,
            last_attempt    TEXT,
            last_result     TEXT,
            last_message    TEXT
        );

        CREATE TABLE run (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at      TEXT NOT NULL,
            finished_at     TEXT NOT NULL,
            status          TEXT NOT NULL CHECK (status IN ('applied', 'unchanged', 'failed')),
            sources         TEXT NOT NULL,
            models_added    INTEGER NOT NULL,
            models_changed  INTEGER NOT NULL,
            models_removed  INTEGER NOT NULL,
            conflict_count  INTEGER NOT NULL,
            resolution      TEXT
        );

        CREATE TABLE conflict (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            run             INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            kind            TEXT NOT NULL,
            severity        TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'error')),
            subject         TEXT NOT NULL,
            sources         TEXT NOT NULL,
            detail          TEXT NOT NULL,
            acknowledged    INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX conflict_by_run ON conflict (run);
        """

    /// Layer history (for rollback) and the notification outbox.
    private static let v2 = """
        CREATE TABLE layer_history (
            run             INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            source          TEXT NOT NULL,
            removed         INTEGER NOT NULL DEFAULT 0,
            version         INTEGER,
            digest          TEXT,
            expires         TEXT,
            installed_at    TEXT,
            envelope        BLOB,
            PRIMARY KEY (run, source)
        );
        CREATE INDEX layer_history_by_source ON layer_history (source, run);

        CREATE TABLE layer_history_file (
            run             INTEGER NOT NULL,
            source          TEXT NOT NULL,
            path            TEXT NOT NULL,
            sha256          TEXT NOT NULL REFERENCES blob (sha256),
            size            INTEGER NOT NULL,
            PRIMARY KEY (run, source, path),
            FOREIGN KEY (run, source) REFERENCES layer_history (run, source) ON DELETE CASCADE
        );
        CREATE INDEX layer_history_file_by_sha256 ON layer_history_file (sha256);

        -- Rollback can go back to runs from this one on: earlier layers were not kept.
        CREATE TABLE history_start (run INTEGER NOT NULL);
        INSERT INTO history_start (run) SELECT COALESCE(MAX(id), 0) FROM run;

        -- Layers installed before this migration become history as of the latest run.
        INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope)
            SELECT (SELECT MAX(id) FROM run), source, version, digest, expires, installed_at, envelope FROM source_layer
            WHERE EXISTS (SELECT 1 FROM run);
        INSERT INTO layer_history_file (run, source, path, sha256, size)
            SELECT (SELECT MAX(id) FROM run), source, path, sha256, size FROM layer_file WHERE EXISTS (SELECT 1 FROM run);

        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY AUTOINCREMENT,
            run             INTEGER NOT NULL REFERENCES run (id) ON DELETE CASCADE,
            sink            TEXT NOT NULL,
            payload         BLOB NOT NULL,
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt    TEXT NOT NULL,
            delivered_at    TEXT,
            last_error      TEXT
        );
        CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt);
        """

    /// The outline of each installed layer (``LayerOutline``), so that a new version of a
    /// source is read by decoding only the files that changed. Removed with its layer.
    private static let v3 = """
        CREATE TABLE layer_outline (
            source          TEXT PRIMARY KEY NOT NULL REFERENCES source_layer (source) ON DELETE CASCADE,
            digest          TEXT NOT NULL,
            outline         BLOB NOT NULL
        );
        """

    /// The unique index on variable names goes: the reader already refuses a name written twice
    /// in a model (a duplicate key), no query looks variables up by name, and keeping it cost a
    /// third of the time of writing a million variables.
    private static let v4 = """
        DROP INDEX variable_by_name;
        """

    /// Each conflict's structured fields (``Conflict/Fields``) as a JSON object; NULL for
    /// conflicts written before, and for those without any.
    private static let v5 = """
        ALTER TABLE conflict ADD COLUMN fields TEXT;
        """

    /// The newest trusted root of each source with a pinned root (SPEC §5.1). Not part of the
    /// layer history: trust only moves forward, `rollback` never restores an older root.
    private static let v7 = """
        CREATE TABLE trusted_root (
            source          TEXT PRIMARY KEY NOT NULL,
            version         INTEGER NOT NULL,
            expires         TEXT NOT NULL,
            trusted_at      TEXT NOT NULL,
            envelope        BLOB NOT NULL
        );
        """
}
