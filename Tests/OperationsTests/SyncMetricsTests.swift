import Foundation
import Testing
@testable import ZephirCore
@testable import ZephirOperations

/// The metrics of SPEC §9 as Prometheus reads them: names, HELP and TYPE lines, values, labels.
@Suite struct SyncMetricsTests {
    let snapshot = MonitoringSnapshot(
        sources: [
            .init(name: "eole", installedVersion: 7, expires: Date(timeIntervalSince1970: 1_800_000_000), lastSuccess: Date(timeIntervalSince1970: 1_790_000_000)),
            .init(name: "acme", installedVersion: nil, expires: nil, lastSuccess: nil),
        ],
        openConflicts: [.error: 1, .warning: 2, .info: 0], models: [.root: 12, .local: 3])

    /// The sample lines (no comments), by series.
    func samples(_ text: String) -> [String: String] {
        var samples: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            samples[String(parts[0])] = String(parts[1])
        }
        return samples
    }

    @Test func everyMetricOfSPEC9HasItsHelpTypeAndValues() {
        let metrics = SyncMetrics()
        metrics.recordRun(status: "applied", duration: .milliseconds(1500))
        metrics.update(snapshot)
        let text = metrics.render()
        let types = [
            MetricCatalog.syncRuns: "counter", MetricCatalog.syncDuration: "histogram", MetricCatalog.installedVersion: "gauge",
            MetricCatalog.expiry: "gauge", MetricCatalog.lastSuccess: "gauge", MetricCatalog.conflictsOpen: "gauge", MetricCatalog.models: "gauge",
        ]
        for (name, type) in types {
            #expect(text.contains("# HELP \(name) \(MetricCatalog.help[name]!)\n"), "\(name)")
            #expect(text.contains("# TYPE \(name) \(type)\n"), "\(name)")
        }
        let values = samples(text)
        #expect(values["zephir_models_sync_runs_total{status=\"applied\"}"] == "1")
        #expect(values["zephir_models_sync_runs_total{status=\"failed\"}"] == "0")
        #expect(values["zephir_models_sync_duration_seconds_count"] == "1")
        #expect(values["zephir_models_sync_duration_seconds_bucket{le=\"1.0\"}"] == "0")
        #expect(values["zephir_models_sync_duration_seconds_bucket{le=\"2.5\"}"] == "1")
        #expect(values["zephir_models_source_installed_version{source=\"eole\"}"].flatMap(Double.init) == 7)
        #expect(values["zephir_models_source_expiry_timestamp_seconds{source=\"eole\"}"].flatMap(Double.init) == 1_800_000_000)
        #expect(values["zephir_models_source_last_success_timestamp_seconds{source=\"eole\"}"].flatMap(Double.init) == 1_790_000_000)
        #expect(values["zephir_models_source_installed_version{source=\"acme\"}"] == nil, "a source never installed has no series")
        #expect(values["zephir_models_conflicts_open{severity=\"warning\"}"].flatMap(Double.init) == 2)
        #expect(values["zephir_models_conflicts_open{severity=\"info\"}"].flatMap(Double.init) == 0)
        #expect(values["zephir_models_models{origin=\"local\"}"].flatMap(Double.init) == 3)
    }

    @Test func aSourceThatLeavesTheConfigurationLosesItsSeries() {
        let metrics = SyncMetrics()
        metrics.update(snapshot)
        var later = snapshot
        later.sources = [.init(name: "acme", installedVersion: 1, expires: Date(timeIntervalSince1970: 1_900_000_000), lastSuccess: nil)]
        metrics.update(later)
        let values = samples(metrics.render())
        #expect(values.keys.filter { $0.contains("source=\"eole\"") }.isEmpty)
        #expect(values["zephir_models_source_installed_version{source=\"acme\"}"].flatMap(Double.init) == 1)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "promtool is not installed (apt-get install prometheus)"))
    func promtoolAcceptsTheOutput() throws {
        let metrics = SyncMetrics()
        metrics.recordRun(status: "unchanged", duration: .milliseconds(20))
        metrics.update(snapshot)
        let result = try promtool(["check", "metrics"], input: metrics.render())
        #expect(result.status == 0, "\(result.output)")
    }
}

/// Runs `promtool` with `input` on stdin; its exit status and combined output.
func promtool(_ arguments: [String], input: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
    process.arguments = arguments
    let stdin = Pipe(), output = Pipe()
    process.standardInput = stdin
    process.standardOutput = output
    process.standardError = output
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, text)
}
