import Foundation
import GRDB
import ZephirCore

extension SQLiteStore {
    /// Applies one run in one write transaction: the run row, the new source layers, the change
    /// set, the source states and the conflicts. Nothing is written when it throws.
    ///
    /// Bulk rows go through cached prepared statements: a million variables take seconds.
    /// - Returns: the run's id.
    public func commit(_ commit: RunCommit) async throws -> Int64 {
        try await writing("applying a run (not applied, the database is unchanged)") { db in
            try RunWriter(db: db).apply(commit)
        }
    }
}

/// The writes of one ``RunCommit``, inside the caller's transaction.
struct RunWriter {
    let db: Database
    /// Where outlined layers' files and models are read from (``StreamingModelStore``).
    var content: RunContent?

    func apply(_ commit: RunCommit) throws -> Int64 {
        let run = commit.run
        let previousRun = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM run")
        try db.execute(
            sql: """
                INSERT INTO run (started_at, finished_at, status, sources, models_added, models_changed, models_removed,
                                 conflict_count, resolution)
                VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
                """,
            arguments: [run.startedAt, run.finishedAt, run.status.rawValue, try Columns.json(run.sources),
                        run.modelsAdded, run.modelsChanged, run.modelsRemoved, run.resolution])
        let runID = db.lastInsertedRowID

        for layer in commit.layers { try install(layer, run: runID) }
        for source in commit.removeLayers {
            try db.execute(sql: "DELETE FROM source_layer WHERE source = ?", arguments: [source])
            try db.execute(sql: "INSERT INTO layer_history (run, source, removed) VALUES (?, ?, 1)", arguments: [runID, source])
        }
        if !commit.layers.isEmpty || !commit.removeLayers.isEmpty {
            try db.execute(sql: """
                DELETE FROM blob WHERE NOT EXISTS (SELECT 1 FROM layer_file f WHERE f.sha256 = blob.sha256)
                    AND NOT EXISTS (SELECT 1 FROM layer_history_file h WHERE h.sha256 = blob.sha256)
                """)
        }
        for source in commit.hold {
            try db.execute(sql: "INSERT INTO source_state (source, held) VALUES (?, 1) ON CONFLICT (source) DO UPDATE SET held = 1",
                           arguments: [source])
        }
        for message in commit.notifications {
            try db.execute(sql: "INSERT INTO outbox (run, sink, payload, next_attempt) VALUES (?, ?, ?, ?)",
                           arguments: [runID, message.sink, message.payload, run.finishedAt])
        }
        try applyChanges(commit.changes)
        for attempt in run.sources {
            try db.execute(
                sql: """
                    INSERT INTO source_state (source, held, last_attempt, last_result, last_message) VALUES (?, 0, ?, ?, ?)
                    ON CONFLICT (source) DO UPDATE SET last_attempt = excluded.last_attempt,
                        last_result = excluded.last_result, last_message = excluded.last_message
                    """,
                arguments: [attempt.source, run.finishedAt, attempt.result.rawValue, attempt.message])
        }

        if commit.carryForwardConflicts, let previousRun {
            let sourceLevel = Conflict.Kind.allCases.filter(\.isSourceLevel).map(\.rawValue)
            let placeholders = databaseQuestionMarks(count: sourceLevel.count)
            try db.execute(
                sql: """
                    INSERT INTO conflict (run, kind, severity, subject, sources, detail, fields, acknowledged)
                    SELECT ?, kind, severity, subject, sources, detail, fields, acknowledged FROM conflict
                    WHERE run = ? AND kind NOT IN (\(placeholders)) ORDER BY id
                    """,
                arguments: StatementArguments([runID, previousRun] as [any DatabaseValueConvertible]) + StatementArguments(sourceLevel))
        }
        let insertConflict = try db.cachedStatement(sql: """
            INSERT INTO conflict (run, kind, severity, subject, sources, detail, fields, acknowledged) VALUES (?, ?, ?, ?, ?, ?, ?, 0)
            """)
        for conflict in commit.conflicts {
            try insertConflict.execute(arguments: [runID, conflict.kind.rawValue, conflict.severity.rawValue, conflict.subject,
                                                   try Columns.json(conflict.sources), conflict.detail,
                                                   conflict.fields.isEmpty ? nil : try Columns.json(conflict.fields)])
        }
        try db.execute(sql: "UPDATE run SET conflict_count = (SELECT COUNT(*) FROM conflict WHERE run = ?) WHERE id = ?",
                       arguments: [runID, runID])
        return runID
    }

    /// Replaces a source's layer; raises its version floor.
    private func install(_ layer: LayerRecord, run: Int64) throws {
        if layer.files.isEmpty, let streamed = content?.layers[layer.installed.name] { return try install(layer, streamed, run: run) }
        let installed = layer.installed
        try db.execute(sql: "DELETE FROM source_layer WHERE source = ?", arguments: [installed.name])
        try db.execute(
            sql: "INSERT INTO source_layer (source, version, digest, expires, installed_at, envelope) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [installed.name, installed.version, installed.digest, installed.expires, installed.installedAt, layer.envelope])
        let insertBlob = try db.cachedStatement(sql: "INSERT INTO blob (sha256, bytes) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING")
        let insertFile = try db.cachedStatement(sql: "INSERT INTO layer_file (source, path, sha256, size) VALUES (?, ?, ?, ?)")
        try db.execute(
            sql: "INSERT INTO layer_history (run, source, version, digest, expires, installed_at, envelope) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [run, installed.name, installed.version, installed.digest, installed.expires, installed.installedAt, layer.envelope])
        let insertHistory = try db.cachedStatement(sql: "INSERT INTO layer_history_file (run, source, path, sha256, size) VALUES (?, ?, ?, ?, ?)")
        for file in layer.files {
            try insertBlob.execute(arguments: [file.sha256, Data(file.bytes)])
            try insertFile.execute(arguments: [installed.name, file.path, file.sha256, file.bytes.count])
            try insertHistory.execute(arguments: [run, installed.name, file.path, file.sha256, file.bytes.count])
        }
        try db.execute(
            sql: """
                INSERT INTO source_state (source, held, version_floor) VALUES (?, 0, ?)
                ON CONFLICT (source) DO UPDATE SET version_floor = MAX(COALESCE(version_floor, excluded.version_floor), excluded.version_floor)
                """,
            arguments: [installed.name, installed.version])
    }

    private func applyChanges(_ changes: ChangeSet) throws {
        let deleteModel = try db.cachedStatement(sql: "DELETE FROM model WHERE release = ? AND name = ? AND origin = 'root'")
        for key in changes.removeModels.sorted() {
            try deleteModel.execute(arguments: [key.release, key.name])
        }
        for name in changes.deleteVersions.sorted() {
            try db.execute(sql: "DELETE FROM version WHERE name = ?", arguments: [name])
        }
        for name in changes.deleteReleases.sorted() {
            try db.execute(sql: "DELETE FROM release WHERE name = ?", arguments: [name])
        }
        for key in changes.deleteServices.sorted() {
            try db.execute(sql: "DELETE FROM service WHERE release = ? AND name = ?", arguments: [key.release, key.name])
        }

        for resolved in changes.upsertVersions {
            let version = resolved.value
            try db.execute(
                sql: """
                    INSERT INTO version (name, label, end_of_support, source, digest) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET label = excluded.label, end_of_support = excluded.end_of_support,
                        source = excluded.source, digest = excluded.digest
                    """,
                arguments: [version.name, version.label, version.endOfSupport, resolved.source, resolved.digest])
        }
        for resolved in changes.upsertReleases {
            let release = resolved.value
            try db.execute(
                sql: """
                    INSERT INTO release (name, version, status, date, source, digest) VALUES (?, ?, ?, ?, ?, ?)
                    ON CONFLICT (name) DO UPDATE SET version = excluded.version, status = excluded.status, date = excluded.date,
                        source = excluded.source, digest = excluded.digest
                    """,
                arguments: [release.name, release.version, release.status.rawValue, release.date, resolved.source, resolved.digest])
        }
        let upsertService = try db.cachedStatement(sql: """
            INSERT INTO service (release, name, description, packages, depends, source, digest) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (release, name) DO UPDATE SET description = excluded.description, packages = excluded.packages,
                depends = excluded.depends, source = excluded.source, digest = excluded.digest
            """)
        for (key, resolved) in changes.upsertServices.sorted(by: { $0.key < $1.key }) {
            let service = resolved.value
            try upsertService.execute(arguments: [key.release, key.name, service.description, try Columns.json(service.packages),
                                                  try Columns.json(service.depends), resolved.source, resolved.digest])
        }

        let insertModel = try db.cachedStatement(sql: """
            INSERT INTO model (release, name, origin, parent, description, source, digest) VALUES (?, ?, 'root', ?, ?, ?, ?)
            """)
        let updateModel = try db.cachedStatement(sql: """
            UPDATE model SET parent = ?, description = ?, source = ?, digest = ? WHERE release = ? AND name = ? AND origin = 'root'
            """)
        let deleteServices = try db.cachedStatement(sql: "DELETE FROM model_service WHERE release = ? AND model = ?")
        let deleteVariables = try db.cachedStatement(sql: "DELETE FROM variable WHERE release = ? AND model = ?")
        for (key, resolved) in changes.changeModels.sorted(by: { $0.key < $1.key }) {
            let written = try Written(resolved, key: key, content: content)
            try updateModel.execute(arguments: [written.parent, written.description, resolved.source, resolved.digest, key.release, key.name])
            if db.changesCount == 0 {   // not there after all: add it
                try insertModel.execute(arguments: [key.release, key.name, written.parent, written.description, resolved.source, resolved.digest])
            }
            try deleteServices.execute(arguments: [key.release, key.name])
            try deleteVariables.execute(arguments: [key.release, key.name])
            try insertContent(of: written, key: key)
        }

        for (key, resolved) in changes.addModels.sorted(by: { $0.key < $1.key }) {
            let written = try Written(resolved, key: key, content: content)
            try insertModel.execute(arguments: [key.release, key.name, written.parent, written.description, resolved.source, resolved.digest])
            try insertContent(of: written, key: key)
        }
    }

    /// A model to write: a value, or the record a streaming run spilled (read in place).
    private enum Written {
        case model(ServerModel)
        case record(ModelRecord)

        init(_ resolved: Resolved<ServerModel>, key: ModelKey, content: RunContent?) throws {
            if let record = try content?.record(resolved, key: key) {
                self = .record(record)
            } else {
                self = .model(try content?.model(resolved, key: key) ?? resolved.value)
            }
        }

        var parent: String? {
            switch self { case .model(let m): return m.parent; case .record(let r): return r.parent }
        }
        var description: String {
            switch self { case .model(let m): return m.description; case .record(let r): return r.description }
        }
        var services: [String] {
            switch self { case .model(let m): return m.services; case .record(let r): return r.services }
        }
    }

    /// A model's services and variables, in the order written.
    private func insertContent(of written: Written, key: ModelKey) throws {
        let insertService = try db.cachedStatement(sql: "INSERT INTO model_service (release, model, position, service) VALUES (?, ?, ?, ?)")
        for (position, service) in written.services.enumerated() {
            try insertService.execute(arguments: [key.release, key.name, position, service])
        }
        switch written {
        case .model(let model):
            // A name appears once per model (migration v4 dropped the unique index that said so);
            // the models of a streaming run were decoded by the reader, which refuses duplicates.
            if content == nil {
                var names = Set<String>(minimumCapacity: model.variables.count)
                for variable in model.variables where !names.insert(variable.name).inserted {
                    throw StoreError.corrupt("model \(key) has two variables named \(variable.name)")
                }
            }
            var first = 0
            while first < model.variables.count {
                let rows = min(Self.variableBatch, model.variables.count - first)
                try insertVariables(rows, first: first, key: key) { row, base, position in
                    let variable = model.variables[position]
                    row.bind(base + 4, variable.name)
                    row.bind(base + 5, variable.type.rawValue)
                    row.bind(base + 6, variable.defaultValue)
                    row.bind(base + 7, variable.mandatory ? 1 : 0)
                    row.bind(base + 8, variable.description)
                    row.bind(base + 9, variable.choices.map(Columns.jsonList))
                }
                first += rows
            }
        case .record(let record):
            try record.forEachBatch(size: Self.variableBatch) { batch, first in
                try insertVariables(batch.count, first: first, key: key) { row, base, position in
                    let variable = batch[position - first]
                    row.bind(base + 4, bytes: variable.name)
                    row.bind(base + 5, bytes: variable.type)
                    row.bind(base + 6, bytes: variable.defaultValue)
                    row.bind(base + 7, variable.mandatory ? 1 : 0)
                    row.bind(base + 8, bytes: variable.description)
                    row.bind(base + 9, variable.choices.map(Columns.jsonList))
                }
            }
        }
    }

    /// Inserts the `rows` variable rows of `key` from position `first`: a full batch through one
    /// statement of `variableBatch` rows (a quarter fewer instructions per row), fewer one by
    /// one; `bind` binds the fields of the row at a position from index `base`.
    private func insertVariables(_ rows: Int, first: Int, key: ModelKey, _ bind: (BulkRow, Int32, Int) throws -> Void) throws {
        let batched = rows == Self.variableBatch
        let statement = try db.cachedStatement(sql: Self.insertVariables(count: batched ? Self.variableBatch : 1))
        for group in stride(from: 0, to: rows, by: batched ? rows : 1) {
            let row = BulkRow(statement, in: db)
            defer { row.finish() }
            for offset in 0..<(batched ? rows : 1) {
                let base = Int32(offset * 9)
                row.bind(base + 1, key.release)
                row.bind(base + 2, key.name)
                row.bind(base + 3, first + group + offset)
                try bind(row, base, first + group + offset)
            }
            try row.step()
        }
    }

    static let variableBatch = 50

    static func insertVariables(count: Int) -> String {
        "INSERT INTO variable (release, model, position, name, type, default_value, mandatory, description, choices) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
    }
}
