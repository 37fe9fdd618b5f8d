import Foundation
import Testing
import ZephirTestSupport

extension RealProcesses {
    /// SPEC §6: "two runs never write at once". Several sync processes on one database, and
    /// readers while a sync writes.
    @Suite struct ConcurrencyTests {
        static let a = FakeSpec(seed: 11, models: 120, variables: 60, version: 1)
        static let b = FakeSpec(seed: 12, models: 110, variables: 60, version: 2)

        /// Four syncs at once, each offering another version: they take the lock in turn. The
        /// highest version always applies; a lower one arriving after a higher one is a rollback
        /// (exit 3). Every applied run starts from what the previous applied run left, so no two
        /// ever worked on the same state.
        @Test func concurrentSyncsRunOneAtATime() async throws {
            let w = SyncWorkspace("zm-concurrent")
            var contents: [UInt64: String] = [:]
            for fake in [Self.a, Self.b] {
                try w.configure(fake)
                let synced = try await w.sync()
                try #require(synced.code == 0)
                contents[fake.seed] = try await w.probe().content
            }
            let before = try await w.probe()
            let offers = (3...6).map { ($0 % 2 == 1 ? Self.a : Self.b).at($0) }
            var children: [(FakeSpec, ChildProcess)] = []
            for fake in offers {
                let config = try w.configure(fake, file: "config-v\(fake.version).yml", lockTimeout: "120s")
                children.append((fake, try w.start(["sync", "--json", "--config", config])))
            }
            var results: [(FakeSpec, ChildProcess.Result)] = []
            for (fake, child) in children { results.append((fake, await child.wait(limit: 240))) }

            for (fake, result) in results {
                #expect(result.code == 0 || result.code == 3, "v\(fake.version) exited \(result.code): \(result.stderr.suffix(500))")
                if fake.version == 6 { #expect(result.code == 0, "the highest version always applies") }
                if result.code == 3 { #expect(result.stdout.contains("rollback"), "v\(fake.version): \(result.stdout.prefix(800))") }
            }
            let after = try await w.probe()
            #expect(after.integrity == "ok" && after.foreignKeyViolations == 0 && after.orphanConflicts == 0)
            #expect(after.fakeVersion == 6 && after.content == contents[Self.b.seed])

            // One run per process, ids in sequence, each applied run starting where the previous one ended.
            let runs = Array(after.runs.dropFirst(before.runs.count))
            #expect(runs.count == offers.count)
            #expect(runs.map(\.id) == Array((before.runs.last!.id + 1)...(before.runs.last!.id + offers.count)))
            var installed = 2
            for run in runs {
                let attempt = try #require(run.attempts.first)
                switch run.status {
                case "applied":
                    #expect(attempt.message == "version \(installed) → \(attempt.version ?? -1)", "run \(run.id): \(attempt.message ?? "")")
                    // Odd versions carry one tree, even ones the other: a change of parity rewrites models.
                    let rewrote = run.added + run.changed + run.removed > 0
                    #expect(rewrote == ((attempt.version ?? installed) % 2 != installed % 2), "run \(run.id)")
                    installed = attempt.version ?? installed
                case "failed":
                    #expect(attempt.result == "rejected" && (attempt.message ?? "").hasPrefix("rollback"), "run \(run.id): \(attempt.message ?? "")")
                    #expect((attempt.message ?? "").contains("version \(installed) kept"), "run \(run.id): \(attempt.message ?? "")")
                    #expect(run.added + run.changed + run.removed == 0)
                default:
                    Issue.record("run \(run.id): unexpected status \(run.status)")
                }
                #expect(after.conflictsByRun[String(run.id), default: 0] >= (run.status == "failed" ? 1 : 0))
            }
            #expect(installed == 6)
            print("concurrent syncs: exits \(results.map { "v\($0.0.version)=\($0.1.code)" }.joined(separator: " ")); runs in order: \(runs.map { "\($0.status) v\($0.attempts.first?.version ?? 0)" }.joined(separator: ", "))")
        }

        /// While a sync rewrites the whole tree, `models list` always shows the state before it or
        /// the state after it (models, variable counts and source version together), never a mix,
        /// and never the old one again once it has shown the new one.
        @Test func readersDuringASyncSeeTheOldOrTheNewState() async throws {
            let w = SyncWorkspace("zm-readers")
            try w.configure(Self.a)
            let synced = try await w.sync()
            try #require(synced.code == 0)
            let old = try await w.modelsList()
            try w.configure(Self.b)
            let sync = try w.start(["sync", "--json", "--config", "config.yml"])
            var seen: [String] = []
            while sync.isRunning {
                seen.append(try await w.modelsList())
            }
            let result = await sync.wait()
            #expect(result.code == 0, "\(result.stderr.suffix(500))")
            let new = try await w.modelsList()
            #expect(old != new)
            #expect(seen.count >= 1, "no read overlapped the sync")
            for (i, list) in seen.enumerated() {
                #expect(list == old || list == new, "read \(i) is neither state: \(splitVersions(list).versions) \(list.prefix(300))")
            }
            if let firstNew = seen.firstIndex(of: new) {
                #expect(!seen[firstNew...].contains(old), "a reader saw the old state after the new one")
            }
            print("readers during a sync: \(seen.count) reads, \(seen.filter { $0 == old }.count) old, \(seen.filter { $0 == new }.count) new")
        }
    }
}
