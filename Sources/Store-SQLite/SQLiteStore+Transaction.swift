import Foundation
import GRDB
import ZephirCore

extension SQLiteStore {
    /// One write transaction (`BEGIN IMMEDIATE` … `COMMIT`) on the pool's writer connection,
    /// spanning the async calls of `body`: each primitive of ``SQLiteRunTransaction`` runs on
    /// the writer in turn. Rolled back when `body` throws; a crash leaves it uncommitted.
    ///
    /// A transaction an earlier run left open on the writer because its rollback failed is
    /// rolled back first: otherwise every later run would fail at `BEGIN` until the process
    /// restarts. Any other open transaction is another run's, in flight: left alone, and this
    /// one fails at `BEGIN`.
    public func transaction<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (any RunTransaction) async throws -> T) async throws -> T {
        let abandoned = abandonedTransaction
        do {
            try await pool.writeWithoutTransaction { db in
                if abandoned.take(), db.isInsideTransaction {
                    // Failing again, it stays to be rolled back by the next transaction.
                    do { try db.rollback() } catch { abandoned.set(); throw error }
                }
                try db.beginTransaction(.immediate)
            }
        } catch {
            throw storeError(error, doing: doing)
        }
        do {
            let value = try await body(SQLiteRunTransaction(pool: pool))
            try await pool.writeWithoutTransaction { db in try db.commit() }
            return value
        } catch {
            // GRDB's async access throws at once in a cancelled task (the daemon stopping, a run
            // abandoned before its commit), which would leave the writer inside the transaction
            // and every later write refused: the rollback runs in a task of its own. If it
            // fails, the next transaction rolls back what is left before it begins.
            let pool = self.pool
            let rollback = await Task {
                try await pool.writeWithoutTransaction { (db: Database) throws in if db.isInsideTransaction { try db.rollback() } }
            }.result
            if case .failure = rollback { abandoned.set() }
            throw storeError(error, doing: doing)
        }
    }

    public func layerOutline(source: String) async throws -> LayerOutline? {
        let stored = try await reading("reading the outline of \(source)") { db -> (String, Data)? in
            let sql = """
                SELECT o.digest, o.outline FROM layer_outline o JOIN source_layer l ON l.source = o.source AND l.digest = o.digest
                WHERE o.source = ?
                """
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [source]) else { return nil }
            return (row["digest"], row["outline"])
        }
        guard let (digest, bytes) = stored else { return nil }
        return try LayerOutline.stored([UInt8](bytes), digest: digest, source: source, database: path)
    }

    public func fileBytes(sha256: String) async throws -> [UInt8]? {
        try await reading("reading a stored file") { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM blob WHERE sha256 = ?", arguments: [sha256]).map { [UInt8]($0) }
        }
    }
}

/// The primitives of one run's transaction on SQLite: cached prepared statements, bulk rows
/// bound through SQLite's C API (``BulkRow``), variables 50 rows per statement.
struct SQLiteRunTransaction: RunTransaction {
    let pool: DatabasePool

    /// Runs `body` on the writer connection, inside the open transaction.
    private func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction(body)
    }

    func insertRun(_ run: RunRecord) async throws -> Int64 {
        let sources = try Columns.json(run.sources)
        return try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO run (started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                                     conflict_count, resolution)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [run.startedAt, run.finishedAt, run.status.rawValue, sources, run.modelsAdded, run.modelsChanged,
                            run.modelsRemoved, run.conflictCount, run.resolution])
            return db.lastInsertedRowID
        }
    }

    func installLayer(_ layer: LayerRecord, content: LayerContent?, run: Int64) async throws {
        try await write { db in
            let installed = layer.installed
            try db.execute(sql: "DELETE FROM source_layer WHERE source = ?", arguments: [installed.name])
            try db.execute(
                sql: "INSERT INTO source_layer (source, version, digest, expires, installed_at, envelope) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [installed.name, installed.version, installed.digest, installed.expires, installed.installedAt, layer.envelope])
            try db.execute(
                sql: "INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [run, installed.name, installed.version, installed.digest, installed.expires, installed.installedAt, layer.envelope])
            let hasBlob = try db.cachedStatement(sql: "SELECT 1 FROM blob WHERE sha256 = ?")
            let insertBlob = try db.cachedStatement(sql: "INSERT INTO blob (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING")
            let insertFile = try db.cachedStatement(sql: "INSERT INTO layer_file (source, path, sha256, size) VALUES (?, ?, ?, ?)")
            let insertHistory = try db.cachedStatement(sql: "INSERT INTO layer_history_file (run, source, path, sha256, size) VALUES (?, ?, ?, ?, ?)")
            /// Stores `bytes` under `sha256`, bound in place: a file's bytes are not copied twice more on their way in.
            func store(_ bytes: [UInt8], sha256: String) throws {
                let row = BulkRow(insertBlob, in: db)
                defer { row.finish() }
                row.bind(1, sha256)
                try bytes.withUnsafeBufferPointer { buffer in
                    row.bind(2, blob: buffer)
                    try row.step()
                }
            }
            // Each file's bytes are read (from the run's spill, for an outlined layer) only when the store lacks them.
            let files = LayerFiles(layer, content: content)
            for file in files.entries {
                if try Bool.fetchOne(hasBlob, arguments: [file.sha256]) == nil {
                    try store(try files.bytes(of: file), sha256: file.sha256)
                }
                try insertFile.execute(arguments: [installed.name, file.path, file.sha256, file.size])
                try insertHistory.execute(arguments: [run, installed.name, file.path, file.sha256, file.size])
            }
            if let content {
                try db.execute(sql: "INSERT INTO layer_outline (source, digest, outline) VALUES (?, ?, ?)",
                               arguments: [installed.name, content.outline.digest, Data(content.outline.encoded())])
            }
        }
    }

    func removeLayer(source: String, run: Int64) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM source_layer WHERE source = ?", arguments: [source])
            try db.execute(sql: "INSERT INTO layer_history (run, source, removed) VALUES (?, ?, 1)", arguments: [run, source])
        }
    }

    func raiseVersionFloor(source: String, to version: Int) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO source_state (source, held, version_floor) VALUES (?, 0, ?)
                    ON CONFLICT (source) DO UPDATE SET version_floor = MAX(COALESCE(version_floor, excluded.version_floor), excluded.version_floor)
                    """,
                arguments: [source, version])
        }
    }

    func advanceTrustedRoot(_ root: StoredRoot) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO trusted_root (source, version, expires, trusted_at, envelope) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (source) DO UPDATE SET version = excluded.version, expires = excluded.expires,
                        trusted_at = excluded.trusted_at, envelope = excluded.envelope
                    WHERE excluded.version > trusted_root.version
                    """,
                arguments: [root.source, root.version, root.expires, root.trustedAt, root.envelope])
        }
    }

    func clearVersionFloor(source: String) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE source_state SET version_floor = NULL WHERE source = ?", arguments: [source])
        }
    }

    func hold(_ sources: [String]) async throws {
        try await write { db in
            for source in sources {
                try db.execute(sql: "INSERT INTO source_state (source, held) VALUES (?, 1) ON CONFLICT (source) DO UPDATE SET held = 1",
                               arguments: [source])
            }
        }
    }

    func recordAttempts(_ attempts: [SourceAttempt], at time: String) async throws {
        let mirrors = try attempts.map { $0.mirrors.isEmpty ? nil : try Columns.json($0.mirrors) }
        try await write { db in
            for (attempt, mirrors) in zip(attempts, mirrors) {
                try db.execute(
                    sql: """
                        INSERT INTO source_state (source, held, last_attempt, last_result, last_message, last_mirrors) VALUES (?, 0, ?, ?, ?, ?)
                        ON CONFLICT (source) DO UPDATE SET last_attempt = excluded.last_attempt,
                            last_result = excluded.last_result, last_message = excluded.last_message, last_mirrors = excluded.last_mirrors
                        """,
                    arguments: [attempt.source, time, attempt.result.rawValue, attempt.message, mirrors])
            }
        }
    }

    func applyChanges(_ changes: ChangeSet, models: ModelWrites) async throws {
        try await write { db in try SQLiteChangeWriter(db: db).apply(changes, models: models) }
    }

    func insertConflicts(_ conflicts: [(conflict: Conflict, acknowledged: Bool)], run: Int64) async throws {
        let rows = try conflicts.map { row in
            (row.conflict, row.acknowledged, try Columns.json(row.conflict.sources), row.conflict.fields.isEmpty ? nil : try Columns.json(row.conflict.fields))
        }
        try await write { db in
            let insert = try db.cachedStatement(sql: """
                INSERT INTO conflict (run, kind, severity, subject, sources, detail, fields, acknowledged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (conflict, acknowledged, sources, fields) in rows {
                try insert.execute(arguments: [run, conflict.kind.rawValue, conflict.severity.rawValue, conflict.subject, sources,
                                               conflict.detail, fields, acknowledged ? 1 : 0])
            }
        }
    }

    func insertOutbox(_ messages: [OutboxMessage], run: Int64, due: String) async throws {
        try await write { db in
            for message in messages {
                try db.execute(sql: "INSERT INTO outbox (run, sink, payload, next_attempt) VALUES (?, ?, ?, ?)",
                               arguments: [run, message.sink, message.payload, due])
            }
        }
    }

    func pruneHistory(before oldestKept: Int64) async throws -> Bool {
        try await write { db in
            // The latest entry of each source before the oldest kept run moves to it, with its
            // files, unless the source has an entry of that run already.
            let moves = try Row.fetchAll(db, sql: """
                SELECT source, MAX(run) AS latest FROM layer_history WHERE run <= ? GROUP BY source HAVING MAX(run) < ?
                """, arguments: [oldestKept, oldestKept])
            for move in moves {
                let source: String = move["source"], latest: Int64 = move["latest"]
                try db.execute(sql: """
                    INSERT INTO layer_history (run, source, removed, version, digest, expires, installed_at, envelope)
                    SELECT ?, source, removed, version, digest, expires, installed_at, envelope FROM layer_history WHERE run = ? AND source = ?
                    """, arguments: [oldestKept, latest, source])
                try db.execute(sql: """
                    INSERT INTO layer_history_file (run, source, path, sha256, size)
                    SELECT ?, source, path, sha256, size FROM layer_history_file WHERE run = ? AND source = ?
                    """, arguments: [oldestKept, latest, source])
            }
            try db.execute(sql: "DELETE FROM layer_history WHERE run < ?", arguments: [oldestKept])
            let prunedLayers = db.changesCount > 0
            try db.execute(sql: "DELETE FROM run WHERE id < ?", arguments: [oldestKept])
            try db.execute(sql: "UPDATE history_start SET run = ?", arguments: [oldestKept])
            return prunedLayers
        }
    }

    func deleteUnusedFiles() async throws {
        try await write { db in
            try db.execute(sql: """
                DELETE FROM blob WHERE NOT EXISTS (SELECT 1 FROM layer_file f WHERE f.sha256 = blob.sha256)
                    AND NOT EXISTS (SELECT 1 FROM layer_history_file h WHERE h.sha256 = blob.sha256)
                """)
        }
    }

    /// SQLite has no listeners: programs watching a SQLite database read `run` (docs/schema.md).
    func notify(channel: String, payload: String) async throws {}
}
