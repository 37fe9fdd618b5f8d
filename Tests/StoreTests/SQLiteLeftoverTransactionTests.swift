import Foundation
import GRDB
import Testing
@testable import SQLiteStore
@testable import ZephirCore

/// A run's rollback that failed would leave the writer connection inside its transaction, and
/// every later run (a daemon's, until it is restarted) would then fail at `BEGIN`. The next
/// transaction rolls such a leftover back first: what it held is discarded, the run commits.
@Suite struct SQLiteLeftoverTransactionTests {
    @Test func aTransactionLeftOpenOnTheWriterIsRolledBackBeforeTheNextRun() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("zephir-models.db").path)
        try await store.migrate()

        // What a failed rollback leaves behind: an open transaction holding a change.
        try await store.pool.writeWithoutTransaction { db in
            try db.beginTransaction(.immediate)
            try db.execute(sql: "CREATE TABLE leftover (x)")
        }

        _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
        #expect(try await store.runs(limit: 10).count == 1)
        #expect(try await store.rootModels(release: Sample.release).count == 3)
        let leftover = try await store.pool.read { db in try db.tableExists("leftover") }
        #expect(!leftover, "the leftover transaction's change was rolled back, not committed with the run")
    }
}
