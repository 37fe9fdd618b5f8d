import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// SPEC §9's metrics as an operator's monitoring reads them: a real Prometheus (Debian's
/// `prometheus` package, which `.ci/run` installs) scrapes `daemon --metrics-listen`, and a
/// timer's `sync --metrics-file` writes them for node_exporter.
@Suite(.serialized) struct MetricsEndToEndTests {
    static let prometheus = "/usr/bin/prometheus"
    static let promtool = "/usr/bin/promtool"

    /// The expiry the workspace's source `name` has installed, as Unix time.
    func installedExpiry(_ w: Workspace, _ name: String) async throws -> Double? {
        let status = try await w.zm(["status", "--json"]).json() as? [String: Any]
        let source = (status?["sources"] as? [[String: Any]])?.first { $0["name"] as? String == name }
        return (source?["expires"] as? String).flatMap(RFC3339.parse)?.timeIntervalSince1970
    }

    func promtoolAccepts(_ text: String, in w: Workspace) throws -> Bool {
        try w.write("scraped.prom", text)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: w.file("scraped.prom"))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: prometheus), "prometheus is not installed (apt-get install prometheus)"),
          .timeLimit(.minutes(2)))
    func aRealPrometheusScrapesTheDaemonAndAnswersTheExpiryOfEachSource() async throws {
        let w = Workspace()
        try w.publish("eole", version: 3, files: eoleTree(), expires: 40 * 86400)
        try w.configure([fileSource("eole", priority: 100)])
        let port = freePort()
        let daemon = try Background(ZephirExecutable.url.path, ["daemon", "--interval", "1s", "--metrics-listen", "127.0.0.1:\(port)", "--config", "config.yml"],
                                    in: w.root, log: w.file("daemon.log"))
        defer { daemon.forceStop() }

        let health = await eventually(within: 20) { await httpGet("http://127.0.0.1:\(port)/healthz").flatMap { $0.status == 200 ? $0 : nil } }
        #expect(health?.body == "ok\n", "the daemon answers /healthz: \((try? String(contentsOf: w.file("daemon.log"), encoding: .utf8)) ?? "")")
        // The gauges are set once the first run has ended.
        let metrics = await eventually(within: 20) {
            await httpGet("http://127.0.0.1:\(port)/metrics").flatMap { $0.body.contains("zephir_models_source_expiry_timestamp_seconds{") ? $0.body : nil }
        }
        let text = try #require(metrics)
        for name in ["zephir_models_sync_runs_total", "zephir_models_sync_duration_seconds", "zephir_models_source_installed_version",
                     "zephir_models_source_expiry_timestamp_seconds", "zephir_models_source_last_success_timestamp_seconds",
                     "zephir_models_conflicts_open", "zephir_models_models"] {
            #expect(text.contains("# HELP \(name) ") && text.contains("# TYPE \(name) "), "\(name)")
        }
        #expect(try promtoolAccepts(text, in: w), "promtool check metrics accepts /metrics")
        let expiry = try await #require(try installedExpiry(w, "eole"))

        // A Prometheus of its own: temporary config and storage, 127.0.0.1, a free port, scraping every second.
        let prometheusPort = freePort()
        try w.write("prometheus/prometheus.yml", """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            scrape_configs:
              - job_name: zephir-models
                static_configs: [{targets: ["127.0.0.1:\(port)"]}]

            """)
        let server = try Background(Self.prometheus, ["--config.file=\(w.file("prometheus/prometheus.yml").path)",
                                                      "--storage.tsdb.path=\(w.file("prometheus/data").path)",
                                                      "--web.listen-address=127.0.0.1:\(prometheusPort)"],
                                    in: w.root, log: w.file("prometheus.log"))
        defer { server.forceStop() }
        let query = "http://127.0.0.1:\(prometheusPort)/api/v1/query?query=zephir_models_source_expiry_timestamp_seconds"
        let answer = await eventually(within: 45) { () -> [[String: Any]]? in
            guard let response = await httpGet(query), response.status == 200,
                  let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                  let result = (json["data"] as? [String: Any])?["result"] as? [[String: Any]], !result.isEmpty else { return nil }
            return result
        }
        let series = try #require(answer, "Prometheus answered the query: \((try? String(contentsOf: w.file("prometheus.log"), encoding: .utf8))?.suffix(2000) ?? "")")
        #expect(series.count == 1)
        let labels = series.first?["metric"] as? [String: String]
        #expect(labels?["__name__"] == "zephir_models_source_expiry_timestamp_seconds")
        #expect(labels?["source"] == "eole")
        #expect(labels?["job"] == "zephir-models")
        #expect(((series.first?["value"] as? [Any])?.last as? String).flatMap(Double.init) == expiry)

        #expect(await server.stop() != nil, "Prometheus stopped")
        let stopped = await daemon.stop(SIGTERM, within: 30)
        #expect(stopped == 0, "the daemon stops cleanly on SIGTERM; its log ends with: \((try? String(contentsOf: w.file("daemon.log"), encoding: .utf8))?.suffix(3000) ?? "")")
        #expect(await httpGet("http://127.0.0.1:\(port)/healthz") == nil, "nothing listens once the daemon has stopped")
    }

    @Test func syncWritesTheMetricsFileAtomicallyAndAnUnwritableOneExits73() async throws {
        let w = Workspace()
        try w.publish("eole", version: 2, files: eoleTree(), expires: 40 * 86400)
        try w.configure([fileSource("eole", priority: 100)])
        try FileManager.default.createDirectory(at: w.file("textfile"), withIntermediateDirectories: true)
        let run = try await w.zm(["sync", "--quiet", "--metrics-file", "textfile/zephir-models.prom"])
        #expect(run.code == 0, "\(run.stderr)")
        let text = try String(contentsOf: w.file("textfile/zephir-models.prom"), encoding: .utf8)
        #expect(text.contains("zephir_models_sync_runs_total{status=\"applied\"} 1\n"))
        #expect(text.contains("zephir_models_source_installed_version{source=\"eole\"} 2.0\n"))
        #expect(text.contains("zephir_models_models{origin=\"root\"} 3.0\n"))
        let expiry = try await #require(try installedExpiry(w, "eole"))
        #expect(text.contains("zephir_models_source_expiry_timestamp_seconds{source=\"eole\"} \(expiry)\n"), "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: w.file("textfile").path) == ["zephir-models.prom"], "no temporary file left")
        if FileManager.default.isExecutableFile(atPath: Self.promtool) { #expect(try promtoolAccepts(text, in: w)) }

        let again = try await w.zm(["sync", "--quiet", "--metrics-file", "textfile/zephir-models.prom"])
        #expect(again.code == 0)
        #expect(try String(contentsOf: w.file("textfile/zephir-models.prom"), encoding: .utf8).contains("zephir_models_sync_runs_total{status=\"unchanged\"} 1\n"))

        let unwritable = try await w.zm(["sync", "--quiet", "--metrics-file", "no-such-folder/zephir-models.prom"])
        #expect(unwritable.code == 73)
        #expect(unwritable.stderr.contains("no-such-folder/zephir-models.prom: cannot write"), "\(unwritable.stderr)")
        #expect(try await w.zm(["sync", "--dry-run", "--metrics-file", "x.prom"]).code == 64)
    }
}
