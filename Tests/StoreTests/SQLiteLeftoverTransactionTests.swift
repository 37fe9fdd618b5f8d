import Foundation
import GRDB
import Testing
@testable import SQLiteStore
@testable import ZephirCore

/// A run's rollback that failed would leave the writer connection inside its transaction, and
/// every later run (a daemon's, until it is restarted) would then fail at `BEGIN`. The next
/// transaction rolls such a leftover back first: what it held is discarded, the run commits.
/// A transaction open for any other reason is another run's, in flight, and is left alone.
@Suite struct SQLiteLeftoverTransactionTests {
    /// `body` on a fresh, migrated SQLite store (``StoreFixture/sqlite``), removed afterwards.
    static func withStore(_ body: (SQLiteStore) async throws -> Void) async throws {
        try await withDatabase(.sqlite) { database in try await body(try #require(database.store as? SQLiteStore)) }
    }

    /// An open transaction holding a change, on the writer.
    static func openTransaction(_ store: SQLiteStore) async throws {
        try await store.pool.writeWithoutTransaction { db in
            try db.beginTransaction(.immediate)
            try db.execute(sql: "CREATE TABLE leftover (x)")
        }
    }

    static func hasLeftoverTable(_ store: SQLiteStore) async throws -> Bool {
        try await store.pool.read { db in try db.tableExists("leftover") }
    }

    @Test func aTransactionLeftByAFailedRollbackIsRolledBackBeforeTheNextRun() async throws {
        try await Self.withStore { store in
            // What a run whose rollback failed leaves behind (the catch path sets the flag).
            try await Self.openTransaction(store)
            store.abandonedTransaction.set()

            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            #expect(try await store.runs(limit: 10).count == 1)
            #expect(try await store.rootModels(release: Sample.release).count == 3)
            #expect(try await !Self.hasLeftoverTable(store), "the leftover's change was rolled back, not committed with the run")
            #expect(!store.abandonedTransaction.isSet, "taken by the transaction that rolled the leftover back")
        }
    }

    /// Without a failed rollback, an open transaction belongs to a run in flight: the new one
    /// fails at BEGIN, as before, and never rolls the other back.
    @Test func aTransactionInFlightIsNotRolledBackByAnother() async throws {
        try await Self.withStore { store in
            try await Self.openTransaction(store)

            await #expect(throws: (any Error).self) {
                _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            }
            try await store.pool.writeWithoutTransaction { db in try db.commit() }
            #expect(try await Self.hasLeftoverTable(store), "the transaction in flight kept its change and committed it")
            #expect(try await store.runs(limit: 10).isEmpty)
        }
    }
}
