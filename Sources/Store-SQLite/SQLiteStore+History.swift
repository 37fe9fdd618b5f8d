import Foundation
import GRDB
import ZephirCore

/// Layer history (rollback) and the notification outbox.
extension SQLiteStore {
    public func layers(asOf run: Int64) async throws -> [String: LayerRecord] {
        try await reading("reading the layers as of run \(run)") { db in
            let since = try Int64.fetchOne(db, sql: "SELECT run FROM history_start") ?? 0
            // A pruned run no longer exists: say which is the oldest one that can be restored.
            guard run >= since else { throw StoreError.historyUnavailable(run, since: since) }
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM run WHERE id = ?)", arguments: [run]) == true else {
                throw StoreError.noSuchRun(run)
            }
            // For each source, its latest history entry at or before the run.
            let rows = try Row.fetchAll(db, sql: """
                SELECT h.run, h.source, h.removed, h.version, h.digest, h.expires, h.installed_at, h.envelope FROM layer_history h
                WHERE h.run = (SELECT MAX(run) FROM layer_history WHERE source = h.source AND run <= ?)
                """, arguments: [run])
            var layers: [String: LayerRecord] = [:]
            for row in rows where (row["removed"] as Int64) == 0 {
                let source: String = row["source"]
                let installedBy: Int64 = row["run"]
                let files = try Row.fetchAll(db, sql: """
                    SELECT f.path, f.sha256, b.bytes FROM layer_history_file f JOIN blob b ON b.sha256 = f.sha256
                    WHERE f.run = ? AND f.source = ? ORDER BY f.path
                    """, arguments: [installedBy, source]).map { file in
                    LayerRecord.File(path: file["path"], sha256: file["sha256"], bytes: [UInt8]((file["bytes"] as Data?) ?? Data()))
                }
                layers[source] = LayerRecord(
                    installed: InstalledSource(name: source, version: row["version"], digest: row["digest"], expires: row["expires"],
                                               installedAt: row["installed_at"]),
                    envelope: row["envelope"], files: files)
            }
            return layers
        }
    }

    public func pendingNotifications(now: String) async throws -> [OutboxMessage] {
        try await reading("reading the notification outbox") { db in
            try Row.fetchAll(db, sql: """
                SELECT id, run, sink, payload, attempts, last_error FROM outbox
                WHERE delivered_at IS NULL AND next_attempt <= ? ORDER BY id
                """, arguments: [now]).map { row in
                OutboxMessage(id: row["id"], run: row["run"], sink: row["sink"], payload: row["payload"], attempts: row["attempts"],
                              lastError: row["last_error"])
            }
        }
    }

    public func recordDelivery(id: Int64, delivered: Bool, error: String?, nextAttempt: String?) async throws {
        try await writing("recording a notification delivery") { db in
            if delivered {
                try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, delivered_at = ?, last_error = NULL WHERE id = ?",
                               arguments: [RFC3339.format(Date()), id])
            } else {
                try db.execute(sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt = COALESCE(?, next_attempt) WHERE id = ?",
                               arguments: [error, nextAttempt, id])
            }
        }
    }
}
