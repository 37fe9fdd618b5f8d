import Foundation
import Testing
import ZephirTestSupport

/// SPEC §6's crash experiment, for any store: real `zephir-models sync` processes, alternating
/// between two fake trees so that every run rewrites nearly everything, are killed with SIGKILL
/// at seeded random moments; after each kill the database is intact and holds exactly the old or
/// the new state (content digest, layer version, run rows, `models list --json`, counts), and
/// the next sync completes and reaches the new state.
///
/// The store's side comes as closures: ``CrashConsistencyTests`` on a SQLite file,
/// ``PostgresCrashConsistencyTests`` on a schema of the session's server.
struct KilledSyncs {
    /// What the database holds once a source state is applied.
    struct Expected {
        var content: String
        var list: String
        var models: Int
        var variables: Int
    }

    /// Names the experiment in its closing line ("crash consistency", …).
    var label: String
    var configure: (FakeSpec) throws -> Void
    var start: ([String]) throws -> ChildProcess
    var sync: () async throws -> ChildProcess.Result
    var modelsList: () async throws -> String
    var probe: () async throws -> DatabaseProbe.State
    /// Runs after a kill, before the state is read: PostgreSQL waits there until the server has
    /// ended the killed client's sessions (a COMMIT it had received is then done or never will be).
    var afterKill: (_ run: Int) async throws -> Void = { _ in }

    /// Kills syncs until `target` were killed while running (a sync that ended before its kill
    /// moment counts as a run, not a kill), at most `3 × target` runs.
    func run(target: Int, seed: UInt64) async throws {
        var rng = SplitMix(seed: seed)
        let a = FakeSpec(seed: 7, models: 200, variables: 100, version: 1)
        let b = FakeSpec(seed: 8, models: 190, variables: 100, version: 2)

        // The two states, each reached by a sync that runs to the end.
        var expected: [UInt64: Expected] = [:]
        var longest = 0.0
        for fake in [a, b] {
            try configure(fake)
            let result = try await sync()
            try #require(result.code == 0, "reference sync of \(fake): \(result.stderr)")
            longest = max(longest, result.seconds)
            let state = try await probe()
            let (list, versions) = splitVersions(try await modelsList())
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
            try configure(next)
            let before = try await probe()
            // Half the kills anywhere in the run, half in its second half, where the commit is;
            // `recent` is how long the last complete sync took, under the machine's current load.
            let delay = (rng.chance(0.5) ? rng.unit() * 1.2 : 0.6 + rng.unit() * 0.6) * recent
            let child = try start(["sync", "--json", "--config", "config.yml"])
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
            if child.kill() { kills += 1 }
            let ended = await child.wait()
            try await afterKill(run)

            // Intact, and exactly one of the two states.
            let state = try await probe()
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
            let (list, versions) = splitVersions(try await modelsList())
            #expect(list == (isNew ? new : old).list && versions == [isNew ? next.version : current.version], "run \(run): models list")
            #expect(state.models == (isNew ? new : old).models && state.variables == (isNew ? new : old).variables, "run \(run): counts")
            if isNew { sawNew += 1 } else { sawOld += 1 }

            // The next sync completes and reaches the new state.
            let completion = try await sync()
            recent = completion.seconds
            #expect(completion.code == 0, "run \(run): the sync after the kill exited \(completion.code): \(completion.stderr.suffix(800))")
            let after = try await probe()
            #expect(after.integrity == "ok" && after.content == new.content && after.fakeVersion == next.version, "run \(run): after completion")
            current = next
        }
        print("\(label): \(run) runs, \(kills) SIGKILLs of a running sync (\(run - kills) ended before the kill); old state kept \(sawOld)×, new state \(sawNew)×; seed \(seed), longest sync \(String(format: "%.2f", longest)) s")
        #expect(kills == target, "most kill moments should land while the sync runs")
    }
}
