import Foundation
import ZephirTestSupport
import Testing

extension RealProcesses {
    /// The PostgreSQL server itself dies in the middle of a sync's commit (`pg_ctl stop -m
    /// immediate`: every server process ends at once, no checkpoint) and is started again, which
    /// recovers from its write-ahead log. The server is the test's own (``ThrowawayPostgres``).
    @Suite struct PostgresServerCrashTests {
        @Test func theServerStoppedInTheMiddleOfACommitLeavesNothingHalfWrittenAndTheNextSyncCompletes() async throws {
            try await ThrowawayPostgres.with { cluster in try await check(cluster) }
        }

        private func check(_ cluster: ThrowawayPostgres) async throws {
            let server = PostgresServer(url: cluster.url)
            let small = FakeSpec(seed: 11, releases: 1, models: 20, variables: 20, version: 1)
            // Many more variables: the commit writes for a while.
            let large = FakeSpec(seed: 12, releases: 1, models: 250, variables: 400, version: 2)

            // What the large state is once applied, in a schema of its own.
            let reference = PostgresWorkspace("zm-pg-stop-reference", server: server)
            try reference.configure(large)
            let referenceSync = try await reference.sync()
            try #require(referenceSync.code == 0, "\(referenceSync.stderr)")
            let expected = try await reference.probe()
            await server.dropSchema(reference.schema)

            let w = PostgresWorkspace("zm-pg-stop", server: server)
            try w.configure(small)
            let first = try await w.sync()
            try #require(first.code == 0, "\(first.stderr)")
            let before = try await w.probe()
            try #require(before.fakeVersion == 1 && before.runs.count == 1)

            try w.configure(large)
            let sync = try w.start(["sync", "--json", "--config", "config.yml"])
            var inCommit = false
            while sync.isRunning {
                if try await w.isWriting() {
                    inCommit = true
                    break
                }
            }
            if !inCommit {
                let ended = await sync.wait()
                Issue.record("the sync ended before its commit was seen: \(ended.code) \(ended.stderr)")
                return
            }
            try await cluster.stopImmediately()
            let stopped = await sync.wait(limit: 120)

            try await cluster.start()
            let after = try await w.probe()
            #expect(after.integrity == "ok", "after recovery: \(after.integrity)")
            #expect(after.foreignKeyViolations == 0 && after.orphanConflicts == 0)
            let pendingTransactions = try await server.psql("SELECT count(*) FROM pg_prepared_xacts")
            #expect(pendingTransactions == "0")
            if stopped.code == 0 {
                // The commit had reached the server's log before it stopped: all of it is there.
                #expect(after.content == expected.content && after.fakeVersion == 2 && after.runs.count == 2, "a sync that exited 0 left a partial state")
            } else {
                #expect(stopped.code == 3 && !stopped.killed, "the interrupted sync: \(stopped.code) \(stopped.stderr)")
                #expect(stopped.stderr.contains("postgres://zm@127.0.0.1:\(cluster.port)/postgres"), "the message names the database: \(stopped.stderr)")
                #expect(after.content == before.content && after.fakeVersion == 1 && after.runs == before.runs
                        && after.models == before.models && after.variables == before.variables,
                        "the interrupted run left a trace: \(after.models) models, \(after.variables) variables, \(after.runs.count) runs")
            }

            // The next sync completes and reaches the large state.
            let next = try await w.sync()
            #expect(next.code == 0, "the sync after the restart: \(next.code) \(next.stderr.suffix(800))")
            let applied = try await w.probe()
            #expect(applied.content == expected.content && applied.fakeVersion == 2 && applied.integrity == "ok")
            #expect(applied.runs.first == before.runs.first && applied.runs.filter { $0.status == "applied" }.count == 2,
                    "\(applied.runs.map(\.status))")
            #expect(applied.models == expected.models && applied.variables == expected.variables)
        }
    }
}
