import Foundation
import ZephirTestSupport
import Testing

extension RealProcesses {
    /// SPEC §6 on PostgreSQL: real `zephir-models sync` processes, alternating between two
    /// trees so that every run rewrites nearly everything in a schema of the session's server,
    /// are killed with SIGKILL at seeded random moments. Once the server has ended the killed
    /// client's sessions, the schema holds exactly the old or the new state (digest of the root
    /// content and layer files, layer version, run rows, `models list --json`, counts), its
    /// B-tree indexes pass `amcheck`, no child row lost its parent, and the next sync completes.
    ///
    /// It runs until `ZEPHIR_PG_CRASH_RUNS` syncs (default 4 in CI) were killed while running;
    /// the long variant is `ZEPHIR_PG_CRASH_RUNS=100` (docs/security.md), `ZEPHIR_CRASH_SEED` replays.
    @Suite struct PostgresCrashConsistencyTests {
        struct Expected {
            var content: String
            var list: String
            var models: Int
            var variables: Int
        }

        @Test func aKilledSyncLeavesTheOldOrTheNewStateOnPostgres() async throws {
            let server = try PostgresServer.requireSession()
            let target = environmentInt("ZEPHIR_PG_CRASH_RUNS", 4)
            let seed = UInt64(environmentInt("ZEPHIR_CRASH_SEED", 20_261_201))
            var rng = SplitMix(seed: seed)
            try await withPostgresWorkspace("zm-pg-crash", server: server) { w in
                let a = FakeSpec(seed: 7, models: 200, variables: 100, version: 1)
                let b = FakeSpec(seed: 8, models: 190, variables: 100, version: 2)

                // The two states, each reached by a sync that runs to the end.
                var expected: [UInt64: Expected] = [:]
                var longest = 0.0
                for fake in [a, b] {
                    try w.configure(fake)
                    let result = try await w.sync()
                    try #require(result.code == 0, "reference sync of \(fake): \(result.stderr)")
                    longest = max(longest, result.seconds)
                    let state = try await w.probe()
                    let (list, versions) = splitVersions(try await w.modelsList())
                    #expect(versions == [fake.version])
                    expected[fake.seed] = Expected(content: state.content, list: list, models: state.models, variables: state.variables)
                }
                let (ea, eb) = (expected[a.seed]!, expected[b.seed]!)
                try #require(ea.content != eb.content && ea.models != eb.models && ea.list != eb.list, "the two states must differ")

                var current = b
                var kills = 0, sawOld = 0, sawNew = 0
                var recent = longest
                var run = 0
                while kills < target && run < 3 * target {
                    run += 1
                    let next = (current.seed == a.seed ? b : a).at(current.version + 1)
                    try w.configure(next)
                    let before = try await w.probe()
                    // Half the kills anywhere in the run, half in its second half, where the commit is.
                    let delay = (rng.chance(0.5) ? rng.unit() * 1.2 : 0.6 + rng.unit() * 0.6) * recent
                    let child = try w.start(["sync", "--json", "--config", "config.yml"])
                    try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                    if child.kill() { kills += 1 }
                    let ended = await child.wait()

                    // Once the server has ended the killed client's sessions (a COMMIT it had
                    // received is then done or never will be): exactly one of the two states.
                    let gone = try await server.waitUntilGone(w.tag)
                    #expect(gone, "run \(run): the killed sync's sessions are still on the server after 60 s")
                    let state = try await w.probe()
                    #expect(state.integrity == "ok", "run \(run): \(state.integrity)")
                    #expect(state.foreignKeyViolations == 0 && state.orphanConflicts == 0, "run \(run)")
                    let old = expected[current.seed]!, new = expected[next.seed]!
                    let isOld = state.content == old.content && state.fakeVersion == current.version && state.runs == before.runs
                    let isNew = state.content == new.content && state.fakeVersion == next.version && state.runs.count == before.runs.count + 1
                        && state.runs.dropLast() == before.runs[...] && state.runs.last?.status == "applied"
                    #expect(isOld != isNew, """
                        run \(run) (killed after \(String(format: "%.2f", delay)) s, \(ended.killed ? "killed" : "exited \(ended.code)")): \
                        neither the old nor the new state: version \(state.fakeVersion.map(String.init) ?? "none"), \
                        \(state.models) models, \(state.variables) variables, \(state.runs.count) runs (before: \(before.runs.count))
                        """)
                    let (list, versions) = splitVersions(try await w.modelsList())
                    #expect(list == (isNew ? new : old).list && versions == [isNew ? next.version : current.version], "run \(run): models list")
                    #expect(state.models == (isNew ? new : old).models && state.variables == (isNew ? new : old).variables, "run \(run): counts")
                    if isNew { sawNew += 1 } else { sawOld += 1 }

                    // The next sync completes and reaches the new state.
                    let completion = try await w.sync()
                    recent = completion.seconds
                    #expect(completion.code == 0, "run \(run): the sync after the kill exited \(completion.code): \(completion.stderr.suffix(800))")
                    let after = try await w.probe()
                    #expect(after.content == new.content && after.fakeVersion == next.version, "run \(run): after completion")
                    current = next
                }
                print("postgres crash consistency: \(run) runs, \(kills) SIGKILLs of a running sync (\(run - kills) ended before the kill); old state kept \(sawOld)×, new state \(sawNew)×; seed \(seed), longest sync \(String(format: "%.2f", longest)) s")
                #expect(kills == target, "most kill moments should land while the sync runs")
            }
        }
    }
}
