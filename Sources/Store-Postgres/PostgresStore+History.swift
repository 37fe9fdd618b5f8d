import Foundation
import Logging
import PostgresNIO
import ZephirCore

/// Layer history (rollback) and the notification outbox, as in the SQLite store.
extension PostgresStore {
    public func layers(asOf run: Int64) async throws -> [String: LayerRecord] {
        let logger = self.logger
        return try await reading("reading the layers as of run \(run)") { connection in
            var since: Int64 = 0
            for try await value in try await connection.query("SELECT run FROM history_start", logger: logger).decode(Int64.self) { since = value }
            // A pruned run no longer exists: say which is the oldest one that can be restored.
            guard run >= since else { throw StoreError.historyUnavailable(run, since: since) }
            let exists = try await connection.query("SELECT 1 FROM run WHERE id = \(run)", logger: logger).collect()
            guard !exists.isEmpty else { throw StoreError.noSuchRun(run) }

            var heads: [(run: Int64, source: String, version: Int64, digest: String, expires: String, installedAt: String, envelope: ByteBuffer)] = []
            for try await (by, source, version, digest, expires, installedAt, envelope) in try await connection.query("""
                SELECT h.run, h.source, h.version, h.digest, h.expires, h.installed_at, h.envelope FROM layer_history h
                WHERE h.removed = 0 AND h.run = (SELECT MAX(run) FROM layer_history WHERE source = h.source AND run <= \(run))
                """, logger: logger).decode((Int64, String, Int64, String, String, String, ByteBuffer).self) {
                heads.append((by, source, version, digest, expires, installedAt, envelope))
            }
            var layers: [String: LayerRecord] = [:]
            for head in heads {
                var files: [LayerRecord.File] = []
                for try await (path, sha256, bytes) in try await connection.query("""
                    SELECT f.path, f.sha256, b.bytes FROM layer_history_file f JOIN blob b ON b.sha256 = f.sha256
                    WHERE f.run = \(head.run) AND f.source = \(head.source) ORDER BY f.path COLLATE "C"
                    """, logger: logger).decode((String, String, ByteBuffer).self) {
                    files.append(LayerRecord.File(path: path, sha256: sha256, bytes: Array(bytes.readableBytesView)))
                }
                layers[head.source] = LayerRecord(
                    installed: InstalledSource(name: head.source, version: Int(head.version), digest: head.digest, expires: head.expires,
                                               installedAt: head.installedAt),
                    envelope: Data(head.envelope.readableBytesView), files: files)
            }
            return layers
        }
    }

    public func pendingNotifications(now: String) async throws -> [OutboxMessage] {
        let logger = self.logger
        return try await reading("reading the notification outbox") { connection in
            var messages: [OutboxMessage] = []
            for try await (id, run, sink, payload, attempts, lastError) in try await connection.query("""
                SELECT id, run, sink, payload, attempts, last_error FROM outbox
                WHERE delivered_at IS NULL AND next_attempt <= \(now) ORDER BY id
                """, logger: logger).decode((Int64, Int64, String, ByteBuffer, Int32, String?).self) {
                messages.append(OutboxMessage(id: id, run: run, sink: sink, payload: Data(payload.readableBytesView), attempts: Int(attempts),
                                              lastError: lastError))
            }
            return messages
        }
    }

    public func recordDelivery(id: Int64, delivered: Bool, error: String?, nextAttempt: String?) async throws {
        let logger = self.logger
        let now = RFC3339.format(Date())
        try await writing("recording a notification delivery") { connection in
            if delivered {
                _ = try await connection.query(
                    "UPDATE outbox SET attempts = attempts + 1, delivered_at = \(now), last_error = NULL WHERE id = \(id)", logger: logger)
            } else {
                _ = try await connection.query("""
                    UPDATE outbox SET attempts = attempts + 1, last_error = \(error), next_attempt = COALESCE(\(nextAttempt), next_attempt)
                    WHERE id = \(id)
                    """, logger: logger)
            }
        }
    }
}
