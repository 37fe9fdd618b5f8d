import Foundation
import Testing
@testable import ZephirCore

/// A task cancelled in the middle of a store call, as when the daemon stops on SIGTERM or a sync
/// abandons its run before the commit: the call ends promptly, nothing of it is written, and the
/// store keeps answering (its pool and the run lock's connection are not left waiting).
@Suite struct CancellationTests {
    /// How long a cancelled call may take to end; generous for loaded CI machines, far below the
    /// daemon's 20 s bound and the 60 s the body would otherwise sleep.
    static let prompt: Duration = .seconds(10)

    @Test(arguments: StoreFixture.allCases)
    func aTransactionCancelledMidwayEndsPromptlyAndWritesNothing(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            try await cancelRunMidway(database.store) { _, _ in try await Task.sleep(for: .seconds(60)) }
            try await expectUsable(database.store)
        }
    }

    /// Cancelled in the middle of a long primitive (a layer of 200,000 files): it ends with a
    /// cancellation within the bound, rolled back. SQLite finishes the block in flight, then
    /// refuses the commit; PostgreSQL stops at its next statement or COPY chunk (it wrote the
    /// whole layer first, 14–16 s here, before each statement checked for cancellation).
    @Test(arguments: StoreFixture.allCases)
    func aTransactionCancelledWhileWritingEndsAsACancellation(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            try await cancelRunMidway(database.store) { transaction, run in
                let files = Dictionary(uniqueKeysWithValues: (0..<200_000).map { ("tree/file-\($0).yml", "name: file-\($0)\n") })
                try await transaction.installLayer(Sample.layer("eole", version: 1, files: files), content: nil, run: run)
            }
            try await expectUsable(database.store)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func aRunCancelledUnderTheRunLockEndsPromptlyAndReleasesIt(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            try await cancelRunMidway(database.store, underLock: true) { _, _ in try await Task.sleep(for: .seconds(60)) }
            // Another store (another process) can take the lock at once.
            #expect(try await database.reopen().withRunLock(timeout: .seconds(2)) { 1 } == 1)
            try await expectUsable(database.store)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func readsCancelledAtRandomMomentsEndPromptly(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), changes: Sample.changes()))
            var random = SystemRandomNumberGenerator()
            let clock = ContinuousClock()
            for _ in 0..<40 {
                let task = Task { _ = try await store.currentState(); _ = try await store.runs(limit: 100) }
                try await Task.sleep(for: .microseconds(Int.random(in: 0...4_000, using: &random)))
                let start = clock.now
                task.cancel()
                _ = try? await task.value
                #expect(clock.now - start < Self.prompt)
            }
            try await expectUsable(store)
            #expect(try await store.currentState().models.count == 3)
        }
    }

    // MARK: - Helpers

    /// A run's transaction (under the run lock if asked) that inserts its run, then does `rest`,
    /// cancelled once the run is inserted: see ``cancelMidway(_:)``. Nothing of it is visible
    /// afterwards (readers never see an uncommitted run; a writer left inside the transaction is
    /// what ``expectUsable(_:)`` catches: SQLite once refused every later write so).
    private func cancelRunMidway(_ store: any ModelStore, underLock: Bool = false,
                                 then rest: @escaping @Sendable (any RunTransaction, Int64) async throws -> Void) async throws {
        try await cancelMidway { started in
            let transaction: @Sendable () async throws -> Void = {
                try await store.transaction("a test run cancelled midway") { transaction in
                    let run = try await transaction.insertRun(Sample.run())
                    started()
                    try await rest(transaction, run)
                }
            }
            if underLock {
                try await store.withRunLock(timeout: .seconds(5)) { try await transaction() }
            } else {
                try await transaction()
            }
        }
        #expect(try await store.runs(limit: 10).isEmpty)
    }

    /// Runs `work` in a task, cancels it once it calls `started`, and expects it to end with a
    /// cancellation within ``prompt``.
    private func cancelMidway(_ work: @escaping @Sendable (_ started: @escaping @Sendable () -> Void) async throws -> Void) async throws {
        let (signal, continuation) = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            // A body that fails before `started` ends the wait below too.
            defer { continuation.finish() }
            try await work { continuation.yield() }
        }
        for await _ in signal { break }
        let clock = ContinuousClock()
        let start = clock.now
        task.cancel()
        let outcome = await task.result
        #expect(clock.now - start < Self.prompt, "a cancelled call took \(clock.now - start)")
        guard case .failure(let error) = outcome else {
            Issue.record("the cancelled call succeeded")
            return
        }
        #expect(error is CancellationError, "expected a cancellation, got \(error)")
    }

    /// A run still commits and reads back, as the newest.
    private func expectUsable(_ store: any ModelStore) async throws {
        let id = try await store.commit(RunCommit(run: Sample.run(at: "2025-03-02T10:00:00Z")))
        #expect(try await store.runs(limit: 1).map(\.id) == [id])
        _ = try await store.currentState()
    }
}
