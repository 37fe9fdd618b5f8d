import Foundation
import GRDB
import ZephirCore

/// Writes a change set to the resolved layer inside the caller's transaction: cached prepared
/// statements, variables bound through SQLite's C API 50 rows per statement.
struct SQLiteChangeWriter {
    let db: Database

    func apply(_ changes: ChangeSet, models: ModelWrites) throws {
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
        for entry in models.entries {
            let written = try models.written(entry)
            let key = entry.key, resolved = entry.resolved
            if entry.isChange {
                try updateModel.execute(arguments: [written.parent, written.description, resolved.source, resolved.digest, key.release, key.name])
                if db.changesCount == 0 {   // not there after all: add it
                    try insertModel.execute(arguments: [key.release, key.name, written.parent, written.description, resolved.source, resolved.digest])
                }
                try deleteServices.execute(arguments: [key.release, key.name])
                try deleteVariables.execute(arguments: [key.release, key.name])
            } else {
                try insertModel.execute(arguments: [key.release, key.name, written.parent, written.description, resolved.source, resolved.digest])
            }
            try insertContent(of: written, key: key)
        }
    }

    /// A model's services and variables, in the order written.
    private func insertContent(of written: WrittenModel, key: ModelKey) throws {
        let insertService = try db.cachedStatement(sql: "INSERT INTO model_service (release, model, position, service) VALUES (?, ?, ?, ?)")
        for (position, service) in written.services.enumerated() {
            try insertService.execute(arguments: [key.release, key.name, position, service])
        }
        switch written {
        case .model(_, _, let model):
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
        case .record(_, _, let record):
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
