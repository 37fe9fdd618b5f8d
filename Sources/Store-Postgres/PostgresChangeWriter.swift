import Foundation
import Logging
import PostgresNIO
import ZephirCore

/// Writes a change set to the resolved layer inside the caller's transaction: sets of keys as
/// array parameters, models, their services and their variables by `COPY`, each model's
/// content read (``ModelWrites/written(_:)``) when its turn comes.
struct PostgresChangeWriter {
    let connection: PostgresConnection
    let logger: Logger

    func apply(_ changes: ChangeSet, models: ModelWrites) async throws {
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
        try await writeModels(models)
    }

    /// The models' rows and services (small) first, then their variables, each model's read
    /// again when its turn comes: one model's content in memory at a time.
    private func writeModels(_ models: ModelWrites) async throws {
        guard !models.entries.isEmpty else { return }
        var services: [(key: ModelKey, names: [String])] = []
        var withVariables: [ModelWrites.Entry] = []
        var variableRows = 0
        try await CopyRows.copy(into: "model", columns: ["release", "name", "origin", "parent", "description", "source", "digest"],
                                on: connection, logger: logger) { rows in
            for entry in models.entries {
                let written = try models.written(entry)
                rows.field(entry.key.release)
                rows.field(entry.key.name)
                rows.field("root")
                rows.field(written.parent)
                rows.field(written.description)
                rows.field(entry.resolved.source)
                rows.field(entry.resolved.digest)
                try await rows.endRow()
                if !written.services.isEmpty { services.append((entry.key, written.services)) }
                if written.variableCount > 0 { withVariables.append(entry) }
                variableRows += written.variableCount
            }
        }
        if !services.isEmpty {
            try await CopyRows.copy(into: "model_service", columns: ["release", "model", "position", "service"], on: connection, logger: logger) { rows in
                for (key, names) in services {
                    for (position, service) in names.enumerated() {
                        rows.field(key.release)
                        rows.field(key.name)
                        rows.field(position)
                        rows.field(service)
                        try await rows.endRow()
                    }
                }
            }
        }
        guard !withVariables.isEmpty else { return }
        // A bulk load checks the variables' foreign key once, after the COPY, instead of row by
        // row (a million rows: 0.2 s instead of 4.7 s). Dropping it takes the table's exclusive
        // lock until the commit, so readers of `variable` wait: only for large runs.
        let bulk = variableRows >= Self.bulkVariableRows
        if bulk { try await execute("ALTER TABLE variable DROP CONSTRAINT \(unescaped: Self.variableForeignKey)") }
        try await copyVariables(withVariables, models: models)
        if bulk {
            try await execute("""
                ALTER TABLE variable ADD CONSTRAINT \(unescaped: Self.variableForeignKey)
                FOREIGN KEY (release, model) REFERENCES model (release, name) ON DELETE CASCADE
                """)
        }
    }

    /// From this many variable rows on, a run's foreign key on `variable` is checked in one pass.
    static let bulkVariableRows = 100_000
    /// The name PostgreSQL gave the foreign key of `variable` in migration v1.
    static let variableForeignKey = "variable_release_model_fkey"

    /// The variables of `entries` by `COPY`, fields taken in place from spilled records.
    private func copyVariables(_ withVariables: [ModelWrites.Entry], models: ModelWrites) async throws {
        let columns = ["release", "model", "position", "name", "type", "default_value", "mandatory", "description", "choices"]
        try await CopyRows.copy(into: "variable", columns: columns, on: connection, logger: logger) { rows in
            for entry in withVariables {
                let key = entry.key
                switch try models.written(entry) {
                case .model(_, _, let model):
                    for (position, variable) in model.variables.enumerated() {
                        rows.field(key.release)
                        rows.field(key.name)
                        rows.field(position)
                        rows.field(variable.name)
                        rows.field(variable.type.rawValue)
                        rows.field(variable.defaultValue)
                        rows.field(variable.mandatory ? 1 : 0)
                        rows.field(variable.description)
                        rows.field(variable.choices.map(Columns.jsonList))
                        rows.endRowInBuffer()
                    }
                case .record(_, _, let record):
                    // Fields are copied from the record in place; the model's rows are sent below.
                    try record.forEachBatch(size: 256) { batch, first in
                        for (offset, variable) in batch.enumerated() {
                            rows.field(key.release)
                            rows.field(key.name)
                            rows.field(first + offset)
                            rows.field(bytes: variable.name)
                            rows.field(bytes: variable.type)
                            rows.field(bytes: variable.defaultValue)
                            rows.field(variable.mandatory ? 1 : 0)
                            rows.field(bytes: variable.description)
                            rows.field(variable.choices.map(Columns.jsonList))
                            rows.endRowInBuffer()
                        }
                    }
                }
                try await rows.flushIfFull()
            }
        }
    }

    private func execute(_ query: PostgresQuery) async throws {
        try await connection.query(query, logger: logger)
    }
}
