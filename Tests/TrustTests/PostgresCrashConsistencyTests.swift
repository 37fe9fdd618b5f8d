import Foundation
import ZephirTestSupport
import Testing

extension RealProcesses {
    /// SPEC §6 on PostgreSQL (``KilledSyncs``) in a schema of the session's server: once the
    /// server has ended the killed client's sessions, the schema holds exactly the old or the new
    /// state, its B-tree indexes pass `amcheck`, no child row lost its parent, and the next sync
    /// completes.
    ///
    /// It runs until `ZEPHIR_PG_CRASH_RUNS` syncs (default 4 in CI) were killed while running;
    /// the long variant is `ZEPHIR_PG_CRASH_RUNS=100` (docs/security.md), `ZEPHIR_CRASH_SEED` replays.
    @Suite struct PostgresCrashConsistencyTests {
        @Test func aKilledSyncLeavesTheOldOrTheNewStateOnPostgres() async throws {
            let server = try PostgresServer.requireSession()
            try await withPostgresWorkspace("zm-pg-crash", server: server) { w in
                let experiment = KilledSyncs(
                    label: "postgres crash consistency", configure: { try w.configure($0) }, start: w.start,
                    sync: { try await w.sync() }, modelsList: { try await w.modelsList() }, probe: w.probe,
                    afterKill: { run in
                        let gone = try await server.waitUntilGone(w.tag)
                        #expect(gone, "run \(run): the killed sync's sessions are still on the server after 60 s")
                    })
                try await experiment.run(target: environmentInt("ZEPHIR_PG_CRASH_RUNS", 4), seed: UInt64(environmentInt("ZEPHIR_CRASH_SEED", 20_261_201)))
            }
        }
    }
}
