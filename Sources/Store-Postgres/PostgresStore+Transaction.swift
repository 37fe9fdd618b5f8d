import Foundation
import Logging
import PostgresNIO
import ZephirCore

extension PostgresStore {
    /// One write transaction, on the run lock's connection when this task holds it (so that a
    /// run whose lock is lost cannot commit): nothing is written when `body` throws, nor when the
    /// connection or the process dies before `COMMIT`.
    public func transaction<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (any RunTransaction) async throws -> T) async throws -> T {
        let logger = self.logger
        return try await writing(doing) { connection in
            try await body(PostgresRunTransaction(connection: connection, logger: logger))
        }
    }

    public func layerOutline(source: String) async throws -> LayerOutline? {
        let logger = self.logger
        let stored = try await reading("reading the outline of \(source)") { connection -> (String, ByteBuffer)? in
            let rows = try await connection.query("""
                SELECT o.digest, o.outline FROM layer_outline o JOIN source_layer l ON l.source = o.source AND l.digest = o.digest
                WHERE o.source = \(source)
                """, logger: logger).collect()
            return try rows.first?.decode((String, ByteBuffer).self)
        }
        guard let (digest, bytes) = stored else { return nil }
        return try LayerOutline.stored(Array(bytes.readableBytesView), digest: digest, source: source, database: location.description)
    }

    public func fileBytes(sha256: String) async throws -> [UInt8]? {
        let logger = self.logger
        return try await reading("reading a stored file") { connection in
            let rows = try await connection.query("SELECT bytes FROM blob WHERE sha256 = \(sha256)", logger: logger).collect()
            return try rows.first.map { Array(try $0.decode(ByteBuffer.self).readableBytesView) }
        }
    }
}

/// The primitives of one run's transaction on PostgreSQL: bulk rows by `COPY`, sets of keys as
/// array parameters, stored files inserted in batches of about a megabyte.
struct PostgresRunTransaction: RunTransaction {
    let connection: PostgresConnection
    let logger: Logger
    /// Stored files are inserted in batches of about this many bytes (or one larger file).
    static let blobBatchBytes = 1 << 20

    func insertRun(_ run: RunRecord) async throws -> Int64 {
        let sources = try Columns.json(run.sources)
        guard let id = try await first("""
            INSERT INTO run (started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                             conflict_count, resolution)
            VALUES (\(run.startedAt), \(run.finishedAt), \(run.status.rawValue), \(sources), \(run.modelsAdded), \(run.modelsChanged),
                    \(run.modelsRemoved), \(run.conflictCount), \(run.resolution))
            RETURNING id
            """, as: Int64.self) else { throw StoreError.corrupt("inserting a run returned no id") }
        return id
    }

    func installLayer(_ layer: LayerRecord, content: LayerContent?, run: Int64) async throws {
        let installed = layer.installed
        try await execute("DELETE FROM source_layer WHERE source = \(installed.name)")
        try await execute("""
            INSERT INTO source_layer (source, version, digest, expires, installed_at, envelope)
            VALUES (\(installed.name), \(installed.version), \(installed.digest), \(installed.expires), \(installed.installedAt), \(layer.envelope))
            """)
        try await execute("""
            INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope)
            VALUES (\(run), \(installed.name), \(installed.version), \(installed.digest), \(installed.expires), \(installed.installedAt), \(layer.envelope))
            """)
        let layerFiles = LayerFiles(layer, content: content)
        let files = layerFiles.entries
        try await storeFiles(layerFiles)
        if !files.isEmpty {
            try await CopyRows.copy(into: "layer_file", columns: ["source", "path", "sha256", "size"], on: connection, logger: logger) { rows in
                for file in files {
                    rows.field(installed.name)
                    rows.field(file.path)
                    rows.field(file.sha256)
                    rows.field(file.size)
                    try await rows.endRow()
                }
            }
        }
        try await execute("""
            INSERT INTO layer_history_file (run, source, path, sha256, size)
            SELECT \(run), source, path, sha256, size FROM layer_file WHERE source = \(installed.name)
            """)
        if let content {
            try await execute("""
                INSERT INTO layer_outline (source, digest, outline)
                VALUES (\(installed.name), \(content.outline.digest), \(ByteBuffer(bytes: content.outline.encoded())))
                """)
        }
    }

    /// Stores the bytes of the files the store lacks, read one at a time, in batches of about
    /// ``blobBatchBytes``.
    private func storeFiles(_ files: LayerFiles) async throws {
        guard !files.entries.isEmpty else { return }
        var stored = Set<String>()
        let digests = Array(Set(files.entries.map(\.sha256)))
        for try await sha256 in try await connection.query("SELECT sha256 FROM blob WHERE sha256 = ANY(\(digests)::text[])", logger: logger)
            .decode(String.self) {
            stored.insert(sha256)
        }
        var batch: (digests: [String], contents: [ByteBuffer], bytes: Int) = ([], [], 0)
        func flush() async throws {
            guard !batch.digests.isEmpty else { return }
            try await execute("""
                INSERT INTO blob (sha256, bytes) SELECT * FROM unnest(\(batch.digests)::text[], \(batch.contents)::bytea[])
                ON CONFLICT (sha256) DO NOTHING
                """)
            batch = ([], [], 0)
        }
        for file in files.entries where stored.insert(file.sha256).inserted {
            let bytes = try files.bytes(of: file)
            if batch.bytes > 0 && batch.bytes + bytes.count > Self.blobBatchBytes { try await flush() }
            batch.digests.append(file.sha256)
            batch.contents.append(ByteBuffer(bytes: bytes))
            batch.bytes += bytes.count
        }
        try await flush()
    }

    func removeLayer(source: String, run: Int64) async throws {
        try await execute("DELETE FROM source_layer WHERE source = \(source)")
        try await execute("INSERT INTO layer_history (run, source, removed) VALUES (\(run), \(source), 1)")
    }

    func raiseVersionFloor(source: String, to version: Int) async throws {
        try await execute("""
            INSERT INTO source_state (source, held, version_floor) VALUES (\(source), 0, \(version))
            ON CONFLICT (source) DO UPDATE
                SET version_floor = GREATEST(COALESCE(source_state.version_floor, excluded.version_floor), excluded.version_floor)
            """)
    }

    func advanceTrustedRoot(_ root: StoredRoot) async throws {
        try await execute("""
            INSERT INTO trusted_root (source, version, expires, trusted_at, envelope)
            VALUES (\(root.source), \(root.version), \(root.expires), \(root.trustedAt), \(root.envelope))
            ON CONFLICT (source) DO UPDATE SET version = excluded.version, expires = excluded.expires,
                trusted_at = excluded.trusted_at, envelope = excluded.envelope
            WHERE excluded.version > trusted_root.version
            """)
    }

    func clearVersionFloor(source: String) async throws {
        try await execute("UPDATE source_state SET version_floor = NULL WHERE source = \(source)")
    }

    func hold(_ sources: [String]) async throws {
        try await execute("""
            INSERT INTO source_state (source, held) SELECT unnest(\(sources)::text[]), 1
            ON CONFLICT (source) DO UPDATE SET held = 1
            """)
    }

    func recordAttempts(_ attempts: [SourceAttempt], at time: String) async throws {
        for attempt in attempts {
            let mirrors = attempt.mirrors.isEmpty ? nil : try Columns.json(attempt.mirrors)
            try await execute("""
                INSERT INTO source_state (source, held, last_attempt, last_result, last_message, last_mirrors)
                VALUES (\(attempt.source), 0, \(time), \(attempt.result.rawValue), \(attempt.message), \(mirrors))
                ON CONFLICT (source) DO UPDATE SET last_attempt = excluded.last_attempt,
                    last_result = excluded.last_result, last_message = excluded.last_message, last_mirrors = excluded.last_mirrors
                """)
        }
    }

    func applyChanges(_ changes: ChangeSet, models: ModelWrites) async throws {
        try await PostgresChangeWriter(connection: connection, logger: logger).apply(changes, models: models)
    }

    func insertConflicts(_ conflicts: [(conflict: Conflict, acknowledged: Bool)], run: Int64) async throws {
        try await CopyRows.copy(into: "conflict", columns: ["run", "kind", "severity", "subject", "sources", "detail", "fields", "acknowledged"],
                                on: connection, logger: logger) { rows in
            for (conflict, acknowledged) in conflicts {
                rows.field(Int(run))
                rows.field(conflict.kind.rawValue)
                rows.field(conflict.severity.rawValue)
                rows.field(conflict.subject)
                rows.field(try Columns.json(conflict.sources))
                rows.field(conflict.detail)
                rows.field(conflict.fields.isEmpty ? nil : try Columns.json(conflict.fields))
                rows.field(acknowledged ? 1 : 0)
                try await rows.endRow()
            }
        }
    }

    func insertOutbox(_ messages: [OutboxMessage], run: Int64, due: String) async throws {
        for message in messages {
            try await execute("""
                INSERT INTO outbox (run, sink, payload, next_attempt)
                VALUES (\(run), \(message.sink), \(ByteBuffer(bytes: message.payload)), \(due))
                """)
        }
    }

    func pruneHistory(before oldestKept: Int64) async throws -> Bool {
        // The latest entry of each source before the oldest kept run moves to it, with its
        // files, unless the source has an entry of that run already.
        var moves: [(String, Int64)] = []
        for try await move in try await connection.query("""
            SELECT source, MAX(run) FROM layer_history WHERE run <= \(oldestKept) GROUP BY source HAVING MAX(run) < \(oldestKept)
            """, logger: logger).decode((String, Int64).self) {
            moves.append(move)
        }
        for (source, latest) in moves {
            try await execute("""
                INSERT INTO layer_history (run, source, removed, version, digest, expires, installed_at, envelope)
                SELECT \(oldestKept), source, removed, version, digest, expires, installed_at, envelope FROM layer_history
                WHERE run = \(latest) AND source = \(source)
                """)
            try await execute("""
                INSERT INTO layer_history_file (run, source, path, sha256, size)
                SELECT \(oldestKept), source, path, sha256, size FROM layer_history_file WHERE run = \(latest) AND source = \(source)
                """)
        }
        let pruned = try await first("WITH gone AS (DELETE FROM layer_history WHERE run < \(oldestKept) RETURNING 1) SELECT COUNT(*) FROM gone",
                                     as: Int64.self) ?? 0
        try await execute("DELETE FROM run WHERE id < \(oldestKept)")
        try await execute("UPDATE history_start SET run = \(oldestKept)")
        return pruned > 0
    }

    func deleteUnusedFiles() async throws {
        try await execute("""
            DELETE FROM blob b WHERE NOT EXISTS (SELECT 1 FROM layer_file f WHERE f.sha256 = b.sha256)
                AND NOT EXISTS (SELECT 1 FROM layer_history_file h WHERE h.sha256 = b.sha256)
            """)
    }

    /// `NOTIFY`, delivered by the server when the transaction commits, never if it rolls back.
    func notify(channel: String, payload: String) async throws {
        try await execute("SELECT pg_notify(\(channel), \(payload))")
    }

    // MARK: - Statements

    // PostgresNIO runs a query to its end even in a cancelled task: each statement first checks
    // for cancellation, so that an abandoned run (the daemon stopping) ends after the statement
    // in flight instead of writing all its rows, then rolls back.

    private func execute(_ query: PostgresQuery) async throws {
        try Task.checkCancellation()
        try await connection.query(query, logger: logger)
    }

    /// The first column of the first row, if any.
    private func first<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type) async throws -> T? {
        try Task.checkCancellation()
        let rows = try await connection.query(query, logger: logger).collect()
        return try rows.first?.decode(T.self)
    }
}
