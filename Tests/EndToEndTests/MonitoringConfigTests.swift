import Foundation
import Testing
import ZephirTestSupport

/// The shipped Prometheus configuration and alert rules (config/prometheus/, documented in
/// docs/operations.md) pass `promtool`, and the rules fire when their test says (`.ci/run`
/// installs Debian's `prometheus`, which ships promtool).
@Suite struct MonitoringConfigTests {
    static let promtool = "/usr/bin/promtool"
    static let folder = ZephirExecutable.repository.appendingPathComponent("config/prometheus")

    func runPromtool(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.promtool)
        process.arguments = arguments
        process.currentDirectoryURL = Self.folder
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: promtool), "promtool is not installed (apt-get install prometheus)"))
    func theRulesAndTheScrapeConfigurationPassPromtool() async throws {
        let rules = try runPromtool(["check", "rules", "zephir-models.rules.yml"])
        #expect(rules.status == 0 && rules.output.contains("SUCCESS: 2 rules found"), "\(rules.output)")
        let config = try runPromtool(["check", "config", "prometheus.yml"])
        #expect(config.status == 0, "\(config.output)")
        let tests = try runPromtool(["test", "rules", "zephir-models.rules.test.yml"])
        #expect(tests.status == 0, "\(tests.output)")
    }

    @Test func theDocumentedRulesAreTheShippedOnes() async throws {
        let docs = try String(contentsOf: ZephirExecutable.repository.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        let rules = try String(contentsOf: Self.folder.appendingPathComponent("zephir-models.rules.yml"), encoding: .utf8)
        for expression in ["zephir_models_source_expiry_timestamp_seconds - time() < 7 * 86400",
                           "time() - zephir_models_source_last_success_timestamp_seconds > 26 * 3600"] {
            #expect(docs.contains("expr: \(expression)") && rules.contains("expr: \(expression)"), "\(expression)")
        }
    }
}
