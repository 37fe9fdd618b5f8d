import FakeSource
import Foundation
import Logging
import SQLiteStore
import Testing
@testable import ZephirCore
@testable import ZephirOperations
import ZephirTestSupport

/// What the daemon's observer does after each iteration (SPEC §9): a run is counted and the
/// gauges are read again from the database; a run abandoned before its commit (the daemon
/// stopping) is not counted and reads nothing, so the gauges stay as the last run left them.
@Suite struct DaemonMonitoringTests {
    @Test func anAbandonedRunIsNotCountedAndLeavesTheGaugesAsTheyWere() async throws {
        let folder = temporaryFolder("zm-monitoring")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("state.db").path)
        let registry = SourceRegistry([FakeSourceAdapter.self])
        func engine(models: Int, version: Int) throws -> SyncEngine {
            let file = folder.appendingPathComponent("config-\(models).yml")
            try fakeSourceConfig(database: "sqlite:state.db", fake: "{seed: 3, releases: 1, models: \(models), version: \(version)}",
                                 cache: folder.appendingPathComponent("cache").path).write(to: file, atomically: true, encoding: .utf8)
            return try SyncEngine(config: try ConfigLoader(registry: registry).load(path: file.path), registry: registry, store: store)
        }
        let monitoring = DaemonMonitoring(metrics: SyncMetrics(), health: DaemonHealth(period: .seconds(60)), logger: Logger(label: "test"))
        let daemon = try engine(models: 5, version: 1)
        await monitoring.observe(.ran(try await daemon.run(.init()), duration: .seconds(1)), engine: daemon)
        let first = samples(monitoring.metrics.render())
        #expect(first["zephir_models_sync_runs_total{status=\"applied\"}"] == "1", "\(first)")
        #expect(first["zephir_models_models{origin=\"root\"}"] == "5.0", "\(first)")

        // The database changes meanwhile (another process's sync of a larger tree).
        _ = try await engine(models: 8, version: 2).run(.init())

        await monitoring.observe(.abandoned, engine: daemon)
        #expect(samples(monitoring.metrics.render()) == first, "an abandoned run changed the metrics")

        // The next iteration that is not abandoned reads the database again (nothing counted when skipped).
        await monitoring.observe(.skipped, engine: daemon)
        let refreshed = samples(monitoring.metrics.render())
        #expect(refreshed["zephir_models_models{origin=\"root\"}"] == "8.0", "\(refreshed)")
        #expect(refreshed["zephir_models_sync_runs_total{status=\"applied\"}"] == "1", "\(refreshed)")
    }

    /// The sample lines (no comments), by series.
    private func samples(_ text: String) -> [String: String] {
        var samples: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = String(parts[1])
        }
        return samples
    }
}
