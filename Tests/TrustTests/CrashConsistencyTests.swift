import Foundation
import Testing
import ZephirTestSupport

extension RealProcesses {
    /// SPEC §6: "a crash at any moment leaves the database as it was before the run or as it is
    /// after it, never in between" (``KilledSyncs``), on a SQLite file: right after each kill
    /// the database passes its integrity check and holds exactly the old or the new state.
    ///
    /// It runs until `ZEPHIR_CRASH_RUNS` syncs (default 10 in CI) were killed while running;
    /// the long variant is documented in docs/security.md (`ZEPHIR_CRASH_RUNS=100`, `ZEPHIR_CRASH_SEED`).
    @Suite struct CrashConsistencyTests {
        @Test func aKilledSyncLeavesTheOldOrTheNewStateAndTheNextSyncCompletes() async throws {
            let w = SyncWorkspace("zm-crash")
            let experiment = KilledSyncs(label: "crash consistency", configure: { try w.configure($0) }, start: w.start,
                                         sync: { try await w.sync() }, modelsList: { try await w.modelsList() }, probe: w.probe)
            try await experiment.run(target: environmentInt("ZEPHIR_CRASH_RUNS", 10), seed: UInt64(environmentInt("ZEPHIR_CRASH_SEED", 20_261_126)))
        }
    }
}
