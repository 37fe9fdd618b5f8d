import Foundation
@testable import PostgresStore
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// The PostgreSQL server going away in the middle of a store call (the run's session ended,
/// the server stopped as in a power cut, the server down for a read): the call ends within a
/// bound with an error that names the database, and the server holds nothing of the run.
///
/// postgres-nio 1.33 never answers a statement sent on a connection that has already closed
/// (the request is dropped with the channel's pipeline), so a `sync` whose server stopped
/// between two statements of its commit never exited (seen once in CI). ``ConnectionWatch``
/// ends such a call once the connection has closed.
// One at a time: each makes, starts and stops a PostgreSQL cluster of its own, heavy work for a
// CI machine that runs every other suite meanwhile.
@Suite(.serialized) struct PostgresServerLossTests {
    /// The server ends the run's session between two statements (`pg_terminate_backend`, as
    /// when an administrator or a failover cuts it): the next statement, sent as soon as the
    /// connection has closed, is never answered by postgres-nio; the call ends anyway.
    @Test func aStatementSentOnAConnectionTheServerClosedEndsWithAnError() async throws {
        try await ThrowawayPostgres.with { cluster in
            let store = try PostgresStore.open(url: cluster.url)
            try await store.migrate()
            let sent = LockedFlag()
            let run = Task {
                try await store.withRunLock(timeout: .seconds(5)) {
                    try await store.transaction("a test run whose session the server ends") { transaction in
                        _ = try await transaction.insertRun(Sample.run())
                        let connection = try #require((transaction as? PostgresRunTransaction)?.connection)
                        let pid = try await connection.query("SELECT pg_backend_pid()", logger: store.logger).decode(Int32.self)
                            .reduce(Int32(0)) { $1 }
                        _ = try await store.rows("SELECT pg_terminate_backend(\(pid))::text")
                        // Polled closely: the statement goes out well before ConnectionWatch (100 ms + 200 ms) ends the call.
                        let clock = ContinuousClock()
                        let deadline = clock.now + .seconds(10)
                        while !connection.isClosed && clock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
                        try #require(connection.isClosed, "the connection stayed open after its backend was terminated")
                        sent.set()
                        _ = try await transaction.insertRun(Sample.run(at: "2025-03-02T10:00:00Z"))
                    }
                }
            }
            try await expectEndsWithError(run, store: store, when: "a statement sent on the closed connection")
            #expect(sent.isSet, "the run ended before its statement was sent on the closed connection")
            try await expectNothingWritten(cluster)
        }
    }

    /// A read once the server has stopped (as the daemon's status and metrics routes read): it
    /// fails soon after the pool's wait, naming the database and why, instead of after the
    /// pool's minute of retries (67 s here).
    @Test func aReadWhileTheServerIsDownFailsPromptly() async throws {
        try await ThrowawayPostgres.with { cluster in
            let store = try PostgresStore.open(url: cluster.url)
            try await store.migrate()
            _ = try await store.runs(limit: 1)
            try await cluster.stopImmediately()
            do {
                // The pool's wait (3 s), plus slack for a loaded machine; a minute without the check.
                _ = try await Bounded.run("a read with the server down", seconds: 30) { try await store.runs(limit: 1) }
                Issue.record("a read succeeded with the server down")
            } catch is Bounded.LimitExceeded {
                // Recorded.
            } catch {
                #expect(error is StoreError && "\(error)".contains(store.location.description), "\(error)")
                // The pool's idle connection may be handed out before the pool sees it closed: then the watch ends the read.
                #expect("\(error)".contains("reading the run history")
                        && ("\(error)".contains("Connection refused") || "\(error)".contains("the connection to the server closed")), "\(error)")
            }
            // Back up, the same store reads again.
            try await cluster.start()
            #expect(try await store.runs(limit: 1).isEmpty)
        }
    }

    /// A pool only busy is not a server lost: with its 4 connections held by reads of 5 s, a
    /// fifth read waits past the pool's wait, finds the server reachable, and keeps waiting.
    @Test func aReadWaitingForABusyPoolIsNotTakenForALostServer() async throws {
        try await ThrowawayPostgres.with { cluster in
            let store = try PostgresStore.open(url: cluster.url)
            try await store.migrate()
            let slept = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        try await store.reading("sleeping") { connection in
                            try await connection.query("SELECT pg_sleep(5)", logger: store.logger).collect().count
                        }
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(slept == 5)
        }
    }

    /// The stop lands while the layer's `COPY` waits for the server to read its rows (a trigger
    /// makes the server read them slowly, so the store is surely waiting for the socket to drain).
    @Test func aRunWaitingForTheServerToReadItsRowsEndsWithAnErrorWhenTheServerStops() async throws {
        try await ThrowawayPostgres.with { cluster in
            try await stopWhileTheServerReadsSlowly(cluster)
        }
    }

    private func stopWhileTheServerReadsSlowly(_ cluster: ThrowawayPostgres) async throws {
        let store = try PostgresStore.open(url: cluster.url)
        try await store.migrate()
        // Half a millisecond a row: the server would take 100 s to read the layer's 200,000 rows.
        _ = try await store.rows("""
            CREATE FUNCTION slow_reader() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_sleep(0.0005); RETURN NEW; END $$
            """)
        _ = try await store.rows("CREATE TRIGGER slow_reader BEFORE INSERT ON layer_file FOR EACH ROW EXECUTE FUNCTION slow_reader()")
        // One content for all: the stored files are one row, the layer's files 200,000 (14 MB of COPY).
        let files = Dictionary(uniqueKeysWithValues: (0..<200_000).map { ("tree/file-\($0).yml", "name: file\n") })
        let run = Task {
            try await store.withRunLock(timeout: .seconds(5)) {
                try await store.transaction("a test run writing a large layer") { transaction in
                    let run = try await transaction.insertRun(Sample.run())
                    try await transaction.installLayer(Sample.layer("eole", version: 1, files: files), content: nil, run: run)
                }
            }
        }
        // Until the layer's rows are on their way, and a second more: the socket is full by then.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        var copying = false
        while !copying && clock.now < deadline {
            copying = try await store.rows("SELECT count(*)::text FROM pg_stat_activity WHERE query LIKE 'COPY%' AND state = 'active'").first?.first == "1"
            if !copying { try await Task.sleep(for: .milliseconds(5)) }
        }
        try #require(copying, "the layer's COPY was not seen within 60 s")
        try await Task.sleep(for: .seconds(1))
        try await cluster.stopImmediately()

        try await expectEndsWithError(run, store: store, when: "stopped while the server read the COPY slowly")
        try await cluster.start()
        try await expectNothingWritten(cluster)
    }

    private func expectEndsWithError(_ run: Task<Void, any Error>, store: PostgresStore, when: String) async throws {
        do {
            // 20 s: far above what the error takes (milliseconds), far below a hung call.
            try await Bounded.run(when, seconds: 20, memoryMB: 1024) { try await run.value }
            Issue.record("\(when), the run committed")
        } catch is Bounded.LimitExceeded {
            // Recorded: the run was still waiting.
        } catch {
            #expect(error is StoreError && "\(error)".contains(store.location.description), "\(when): \(error)")
        }
    }

    private func expectNothingWritten(_ cluster: ThrowawayPostgres) async throws {
        let after = try PostgresStore.open(url: cluster.url)
        #expect(try await after.runs(limit: 10).isEmpty)
        #expect(try await after.rows("SELECT count(*)::text FROM layer_file").first?.first == "0")
    }
}
