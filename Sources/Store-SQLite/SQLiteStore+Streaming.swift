import Foundation
import GRDB
import ZephirCore

/// Runs applied without holding whole bundles: see ``StreamingModelStore``.
extension SQLiteStore: StreamingModelStore {
    public func layerOutline(source: String) async throws -> LayerOutline? {
        let stored = try await reading("reading the outline of \(source)") { db -> (String, Data)? in
            let sql = """
                SELECT o.digest, o.outline FROM layer_outline o JOIN source_layer l ON l.source = o.source AND l.digest = o.digest
                WHERE o.source = ?
                """
            guard let row = try Row.fetchOne(db, sql: sql, arguments: [source]) else { return nil }
            return (try row.decode(atIndex: 0), try row.decode(atIndex: 1))
        }
        guard let (digest, bytes) = stored, let outline = try? LayerOutline(decoding: [UInt8](bytes)), outline.digest == digest else { return nil }
        return outline
    }

    public func fileBytes(sha256: String) async throws -> [UInt8]? {
        try await reading("reading a stored file") { db in
            try Data.fetchOne(db, sql: "SELECT bytes FROM blob WHERE sha256 = ?", arguments: [sha256]).map { [UInt8]($0) }
        }
    }

    public func commit(_ commit: RunCommit, content: RunContent) async throws -> Int64 {
        try await writing("applying a run (not applied, the database is unchanged)") { db in
            try RunWriter(db: db, content: content).apply(commit)
        }
    }
}

extension RunWriter {
    /// Installs a layer whose files are `streamed`'s: the bytes of each file not stored yet are
    /// read from the run's spill one at a time; the outline is kept for the next run.
    func install(_ layer: LayerRecord, _ streamed: LayerContent, run: Int64) throws {
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
        for entry in streamed.outline.entries {
            let file = entry.file
            if try Bool.fetchOne(hasBlob, arguments: [file.sha256]) == nil {
                guard let bytes = try streamed.bytes(of: file.path) else {
                    throw StoreError.corrupt("the file \(file.path) of source \(installed.name) is neither stored nor fetched by this run")
                }
                // Bound in place: a file's bytes are not copied twice more on their way in.
                let row = BulkRow(insertBlob, in: db)
                defer { row.finish() }
                row.bind(1, file.sha256)
                try bytes.withUnsafeBufferPointer { buffer in
                    row.bind(2, blob: buffer)
                    try row.step()
                }
            }
            try insertFile.execute(arguments: [installed.name, file.path, file.sha256, file.size])
            try insertHistory.execute(arguments: [run, installed.name, file.path, file.sha256, file.size])
        }
        try db.execute(sql: "INSERT INTO layer_outline (source, digest, outline) VALUES (?, ?, ?)",
                       arguments: [installed.name, streamed.outline.digest, Data(streamed.outline.encoded())])
        try db.execute(
            sql: """
                INSERT INTO source_state (source, held, version_floor) VALUES (?, 0, ?)
                ON CONFLICT (source) DO UPDATE SET version_floor = MAX(COALESCE(version_floor, excluded.version_floor), excluded.version_floor)
                """,
            arguments: [installed.name, installed.version])
    }
}
