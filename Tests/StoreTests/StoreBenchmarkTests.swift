import Foundation
import SQLiteStore
import Testing
@testable import ZephirCore

/// How long a large commit takes: 1,000 models × 1,000 variables (a million variable rows).
/// Run with `ZEPHIR_STORE_BENCH=1 swift test --filter StoreBenchmarkTests`; skipped otherwise.
@Suite struct StoreBenchmarkTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["ZEPHIR_STORE_BENCH"] != nil), arguments: StoreFixture.allCases)
    func aMillionVariables(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let models = 1_000, variables = 1_000
            var changes = ChangeSet()
            for m in 0..<models {
                let vars = (0..<variables).map { v in
                    v % 10 == 0
                        ? Variable(name: "var\(v)", type: .choice, defaultValue: "a", description: "variable \(v)", choices: ["a", "b", "c"])
                        : Variable(name: "var\(v)", type: .string, defaultValue: "value-\(v)", mandatory: v % 3 == 0, description: "variable \(v)")
                }
                let model = ServerModel(name: "model\(m)", description: "model \(m)", parent: m == 0 ? nil : "model0",
                                        services: ["base", "web"], variables: vars)
                changes.addModels[ModelKey(release: "2.7.1", name: "model\(m)")] = Resolved(value: model, source: "fake", digest: "d\(m)")
            }
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await store.commit(RunCommit(run: RunRecord(startedAt: "2025-01-01T00:00:00Z", finishedAt: "2025-01-01T00:00:01Z",
                                                                status: .applied, sources: []), changes: changes))
            let committed = clock.now - start
            let readStart = clock.now
            let roots = try await store.rootModels(release: "2.7.1")
            let read = clock.now - readStart
            #expect(roots == changes.addModels)
            print("[bench] \(fixture): commit of \(models) models × \(variables) variables: \(committed); rootModels: \(read)")
        }
    }
}
