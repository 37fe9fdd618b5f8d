import Foundation
import Logging
import PostgresNIO
import ZephirCore

extension PostgresStore {
    /// Applies one run in one transaction: the run row, the new source layers, the change set,
    /// the source states and the conflicts. Nothing is written when it throws, nor when the
    /// connection or the process dies before `COMMIT`.
    ///
    /// Inside ``withRunLock(timeout:_:)`` it runs on the lock's connection. Bulk rows (models,
    /// their services and variables, layer files, conflicts) go by `COPY`; sets of keys by
    /// array parameters: a million variables take seconds.
    /// - Returns: the run's id.
    public func commit(_ commit: RunCommit) async throws -> Int64 {
        let logger = self.logger
        return try await writing("applying a run (not applied, the database is unchanged)") { connection in
            try await PostgresRunWriter(connection: connection, logger: logger).apply(commit)
        }
    }
}

/// The writes of one ``RunCommit``, inside the caller's transaction.
private struct PostgresRunWriter {
    let connection: PostgresConnection
    let logger: Logger
    /// Blobs are inserted in batches of about this many bytes.
    static let blobBatchBytes = 8 << 20

    func apply(_ commit: RunCommit) async throws -> Int64 {
        let run = commit.run
        let previousRun = try await first("SELECT MAX(id) FROM run", as: Int64?.self) ?? nil
        let sources = try Columns.json(run.sources)
        guard let runID = try await first("""
            INSERT INTO run (started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                             conflict_count, resolution)
            VALUES (\(run.startedAt), \(run.finishedAt), \(run.status.rawValue), \(sources), \(run.modelsAdded), \(run.modelsChanged),
                    \(run.modelsRemoved), 0, \(run.resolution))
            RETURNING id
            """, as: Int64.self) else { throw StoreError.corrupt("inserting a run returned no id") }

        for layer in commit.layers { try await install(layer, run: runID) }
        for source in commit.removeLayers {
            try await execute("DELETE FROM source_layer WHERE source = \(source)")
            try await execute("INSERT INTO layer_history (run, source, removed) VALUES (\(runID), \(source), 1)")
        }
        if !commit.layers.isEmpty || !commit.removeLayers.isEmpty {
            try await execute("""
                DELETE FROM blob b WHERE NOT EXISTS (SELECT 1 FROM layer_file f WHERE f.sha256 = b.sha256)
                    AND NOT EXISTS (SELECT 1 FROM layer_history_file h WHERE h.sha256 = b.sha256)
                """)
        }
        for source in commit.hold {
            try await execute("INSERT INTO source_state (source, held) VALUES (\(source), 1) ON CONFLICT (source) DO UPDATE SET held = 1")
        }
        for message in commit.notifications {
            try await execute("""
                INSERT INTO outbox (run, sink, payload, next_attempt)
                VALUES (\(runID), \(message.sink), \(ByteBuffer(bytes: message.payload)), \(run.finishedAt))
                """)
        }
        try await applyChanges(commit.changes)
        for attempt in run.sources {
            try await execute("""
                INSERT INTO source_state (source, held, last_attempt, last_result, last_message)
                VALUES (\(attempt.source), 0, \(run.finishedAt), \(attempt.result.rawValue), \(attempt.message))
                ON CONFLICT (source) DO UPDATE SET last_attempt = excluded.last_attempt,
                    last_result = excluded.last_result, last_message = excluded.last_message
                """)
        }

        if commit.carryForwardConflicts, let previousRun {
            let sourceLevel = Conflict.Kind.allCases.filter(\.isSourceLevel).map(\.rawValue)
            try await execute("""
                INSERT INTO conflict (run, kind, severity, subject, sources, detail, fields, acknowledged)
                SELECT \(runID), kind, severity, subject, sources, detail, fields, acknowledged FROM conflict
                WHERE run = \(previousRun) AND kind <> ALL(\(sourceLevel)::text[]) ORDER BY id
                """)
        }
        if !commit.conflicts.isEmpty {
            try await CopyRows.copy(into: "conflict", columns: ["run", "kind", "severity", "subject", "sources", "detail", "fields", "acknowledged"],
                                    on: connection, logger: logger) { rows in
                for conflict in commit.conflicts {
                    rows.field(Int(runID))
                    rows.field(conflict.kind.rawValue)
                    rows.field(conflict.severity.rawValue)
                    rows.field(conflict.subject)
                    rows.field(try Columns.json(conflict.sources))
                    rows.field(conflict.detail)
                    rows.field(conflict.fields.isEmpty ? nil : try Columns.json(conflict.fields))
                    rows.field(0)
                    try await rows.endRow()
                }
            }
        }
        try await execute("UPDATE run SET conflict_count = (SELECT COUNT(*) FROM conflict WHERE run = \(runID)) WHERE id = \(runID)")
        return runID
    }

    /// Replaces a source's layer; raises its version floor.
    private func install(_ layer: LayerRecord, run: Int64) async throws {
        let installed = layer.installed
        try await execute("DELETE FROM source_layer WHERE source = \(installed.name)")
        try await execute("""
            INSERT INTO source_layer (source, version, digest, expires, installed_at, envelope)
            VALUES (\(installed.name), \(installed.version), \(installed.digest), \(installed.expires), \(installed.installedAt), \(layer.envelope))
            """)

        var seen = Set<String>()
        var digests: [String] = [], contents: [ByteBuffer] = [], batchBytes = 0
        func insertBlobs() async throws {
            guard !digests.isEmpty else { return }
            try await execute("""
                INSERT INTO blob (sha256, bytes) SELECT * FROM unnest(\(digests)::text[], \(contents)::bytea[])
                ON CONFLICT (sha256) DO NOTHING
                """)
            digests = []
            contents = []
            batchBytes = 0
        }
        for file in layer.files where seen.insert(file.sha256).inserted {
            digests.append(file.sha256)
            contents.append(ByteBuffer(bytes: file.bytes))
            batchBytes += file.bytes.count
            if batchBytes >= Self.blobBatchBytes { try await insertBlobs() }
        }
        try await insertBlobs()

        if !layer.files.isEmpty {
            try await CopyRows.copy(into: "layer_file", columns: ["source", "path", "sha256", "size"], on: connection, logger: logger) { rows in
                for file in layer.files {
                    rows.field(installed.name)
                    rows.field(file.path)
                    rows.field(file.sha256)
                    rows.field(file.bytes.count)
                    try await rows.endRow()
                }
            }
        }
        try await execute("""
            INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope)
            VALUES (\(run), \(installed.name), \(installed.version), \(installed.digest), \(installed.expires), \(installed.installedAt), \(layer.envelope))
            """)
        try await execute("""
            INSERT INTO layer_history_file (run, source, path, sha256, size)
            SELECT \(run), source, path, sha256, size FROM layer_file WHERE source = \(installed.name)
            """)
        try await execute("""
            INSERT INTO source_state (source, held, version_floor) VALUES (\(installed.name), 0, \(installed.version))
            ON CONFLICT (source) DO UPDATE
                SET version_floor = GREATEST(COALESCE(source_state.version_floor, excluded.version_floor), excluded.version_floor)
            """)
    }

    private func applyChanges(_ changes: ChangeSet) async throws {
        // A changed model is deleted (its services and variables with it) and inserted anew.
        let gone = changes.removeModels + changes.changeModels.keys
        if !gone.isEmpty {
            try await execute("""
                DELETE FROM model m USING unnest(\(gone.map(\.release))::text[], \(gone.map(\.name))::text[]) AS k(release, name)
                WHERE m.release = k.release AND m.name = k.name AND m.origin = 'root'
                """)
        }
        if !changes.deleteVersions.isEmpty {
            try await execute("DELETE FROM version WHERE name = ANY(\(changes.deleteVersions)::text[])")
        }
        if !changes.deleteReleases.isEmpty {
            try await execute("DELETE FROM release WHERE name = ANY(\(changes.deleteReleases)::text[])")
        }
        if !changes.deleteServices.isEmpty {
            let keys = changes.deleteServices
            try await execute("""
                DELETE FROM service s USING unnest(\(keys.map(\.release))::text[], \(keys.map(\.name))::text[]) AS k(release, name)
                WHERE s.release = k.release AND s.name = k.name
                """)
        }

        for resolved in changes.upsertVersions {
            let version = resolved.value
            try await execute("""
                INSERT INTO version (name, label, end_of_support, source, digest)
                VALUES (\(version.name), \(version.label), \(version.endOfSupport), \(resolved.source), \(resolved.digest))
                ON CONFLICT (name) DO UPDATE SET label = excluded.label, end_of_support = excluded.end_of_support,
                    source = excluded.source, digest = excluded.digest
                """)
        }
        for resolved in changes.upsertReleases {
            let release = resolved.value
            try await execute("""
                INSERT INTO release (name, version, status, date, source, digest)
                VALUES (\(release.name), \(release.version), \(release.status.rawValue), \(release.date), \(resolved.source), \(resolved.digest))
                ON CONFLICT (name) DO UPDATE SET version = excluded.version, status = excluded.status, date = excluded.date,
                    source = excluded.source, digest = excluded.digest
                """)
        }
        if !changes.upsertServices.isEmpty {
            let services = changes.upsertServices.sorted { $0.key < $1.key }
            let packages = try services.map { try Columns.json($0.value.value.packages) }
            let depends = try services.map { try Columns.json($0.value.value.depends) }
            try await execute("""
                INSERT INTO service (release, name, description, packages, depends, source, digest)
                SELECT * FROM unnest(\(services.map(\.key.release))::text[], \(services.map(\.key.name))::text[],
                                     \(services.map(\.value.value.description))::text[], \(packages)::text[], \(depends)::text[],
                                     \(services.map(\.value.source))::text[], \(services.map(\.value.digest))::text[])
                ON CONFLICT (release, name) DO UPDATE SET description = excluded.description, packages = excluded.packages,
                    depends = excluded.depends, source = excluded.source, digest = excluded.digest
                """)
        }

        let models = (changes.changeModels.sorted { $0.key < $1.key }) + (changes.addModels.sorted { $0.key < $1.key })
        guard !models.isEmpty else { return }
        try await CopyRows.copy(into: "model", columns: ["release", "name", "origin", "parent", "description", "source", "digest"],
                                on: connection, logger: logger) { rows in
            for (key, resolved) in models {
                rows.field(key.release)
                rows.field(key.name)
                rows.field("root")
                rows.field(resolved.value.parent)
                rows.field(resolved.value.description)
                rows.field(resolved.source)
                rows.field(resolved.digest)
                try await rows.endRow()
            }
        }
        if models.contains(where: { !$0.value.value.services.isEmpty }) {
            try await CopyRows.copy(into: "model_service", columns: ["release", "model", "position", "service"],
                                    on: connection, logger: logger) { rows in
                for (key, resolved) in models {
                    for (position, service) in resolved.value.services.enumerated() {
                        rows.field(key.release)
                        rows.field(key.name)
                        rows.field(position)
                        rows.field(service)
                        try await rows.endRow()
                    }
                }
            }
        }
        if models.contains(where: { !$0.value.value.variables.isEmpty }) {
            let encoder = JSONEncoder()
            let columns = ["release", "model", "position", "name", "type", "default_value", "mandatory", "description", "choices"]
            try await CopyRows.copy(into: "variable", columns: columns, on: connection, logger: logger) { rows in
                for (key, resolved) in models {
                    for (position, variable) in resolved.value.variables.enumerated() {
                        rows.field(key.release)
                        rows.field(key.name)
                        rows.field(position)
                        rows.field(variable.name)
                        rows.field(variable.type.rawValue)
                        rows.field(variable.defaultValue)
                        rows.field(variable.mandatory ? 1 : 0)
                        rows.field(variable.description)
                        rows.field(try variable.choices.map { String(decoding: try encoder.encode($0), as: UTF8.self) })
                        try await rows.endRow()
                    }
                }
            }
        }
    }

    // MARK: - Statements

    private func execute(_ query: PostgresQuery) async throws {
        try await connection.query(query, logger: logger)
    }

    /// The first column of the first row, if any.
    private func first<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type) async throws -> T? {
        let rows = try await connection.query(query, logger: logger).collect()
        return try rows.first?.decode(T.self)
    }
}
