import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

extension Workspace {
    /// Runs a query command against the workspace's config.
    @discardableResult
    func zm(_ arguments: [String]) async throws -> CLI.Result { try await cli.run(arguments + ["--config", "config.yml"]) }

    func sync(_ extra: [String] = []) async throws -> (code: Int32, report: [String: Any], stderr: String) {
        try await cli.sync(extra + ["--config", "config.yml"])
    }

    /// What a user sees of the resolved layer: every model with its provenance and content.
    func snapshot() async throws -> String {
        let list = try await zm(["models", "list", "--json"]).stdout
        var shown = [list]
        for model in try await zm(["models", "list", "--json"]).modelsList {
            await shown.append(try zm(["models", "show", "\(model["release"]!)/\(model["name"]!)", "--json"]).stdout)
        }
        return shown.joined(separator: "\n")
    }

    func model(_ key: String) async throws -> [String: Any] {
        await ((try zm(["models", "show", key, "--json"]).json() as? [String: Any])?["model"] as? [String: Any]) ?? [:]
    }
}

@Suite(.serialized) struct SyncEndToEndTests {
    @Test func firstSyncAppliesThenANoOpSyncFetchesOnlyTheIndexOverHTTP() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        let server = try StaticHTTPServer(serving: w.file("bundles"))
        defer { server.stop() }
        try w.configure([fileSource("eole", priority: 100, url: "\(server.base)/eole")])

        let first = try await w.sync()
        #expect(first.code == 0, "\(first.stderr)")
        #expect(first.report.result(of: "eole") == "updated")
        #expect(Set(first.report.changes.filter { $0["entity"] as? String == "model" }.compactMap { $0["subject"] as? String })
                == ["2.7.1/eolebase", "2.7.1/amon", "2.7.1/scribe"])
        #expect(try await w.model("2.7.1/amon")["source"] as? String == "eole")
        let before = try await w.snapshot()
        let fetchedFirst = server.requests().count
        #expect(fetchedFirst == 1 + eoleTree().count)

        let second = try await w.sync()
        #expect(second.code == 0)
        #expect(second.report.result(of: "eole") == "unchanged")
        #expect(second.report["status"] as? String == "unchanged")
        #expect(Array(server.requests().dropFirst(fetchedFirst)) == ["/eole/index.json"])
        #expect(try await w.snapshot() == before)

        // One model changes: the index and that one file are fetched, that one model rewritten.
        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "strict"))
        let third = try await w.sync()
        #expect(third.code == 0)
        #expect(Array(server.requests().dropFirst(fetchedFirst + 1)) == ["/eole/index.json", "/eole/tree/releases/2.7.1/servermodels/amon.yml"])
        #expect(third.report.changes.map { "\($0["action"]!) \($0["subject"]!)" } == ["change 2.7.1/amon"])
    }

    @Test func theShippedDemoConfigSyncs() async throws {
        let w = Workspace()
        let config = ZephirExecutable.repository.appendingPathComponent("config/zephir-models.yml").path
        let first = try await w.cli.run(["sync", "--config", config])
        #expect(first.code == 0, "\(first.stdout)\n\(first.stderr)")
        #expect(first.stdout.contains("acme-firewall"))
        #expect(first.stdout.contains("out-of-scope"))
        let second = try await w.cli.run(["sync", "--config", config])
        #expect(second.code == 0)
        #expect(second.stdout.contains("No changes"))
    }

    @Test func aFailingSourceKeepsItsLastGoodLayerWhileTheOthersApply() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.publish("acme", version: 1, files: ["releases/2.7.1/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\n"])
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50, scope: "[\"2.7.*/acme-*\"]")])
        #expect(try await w.sync().code == 0)

        try w.publish("eole", version: 2, files: eoleTree(amonDefault: "aucun"))
        try w.publish("acme", version: 2, files: ["releases/2.7.1/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\ndescription: v2\n"])
        let tampered = w.file("bundles/acme/tree/releases/2.7.1/servermodels/acme-fw.yml")
        var bytes = try Data(contentsOf: tampered)
        bytes[bytes.count - 2] = UInt8(ascii: "X")
        try bytes.write(to: tampered)

        let run = try await w.sync()
        #expect(run.code == 2)
        #expect(run.report.result(of: "eole") == "updated")
        #expect(run.report.result(of: "acme") == "rejected")
        let rejected = run.report.conflicts(kind: "source-rejected")
        #expect(rejected.count == 1 && rejected[0]["subject"] as? String == "acme" && rejected[0]["severity"] as? String == "error")
        #expect(rejected[0]["reason"] as? String == "digest-mismatch")
        // eole's change applied; acme's last good model still in force, from version 1.
        let amon = try await w.model("2.7.1/amon")
        #expect(((amon["variables"] as? [[String: Any]])?.first { ($0["variable"] as? [String: Any])?["name"] as? String == "mode_filtrage" }?["variable"] as? [String: Any])?["defaultValue"] as? String == "aucun")
        let fw = try await w.model("2.7.1/acme-fw")
        #expect(fw["source"] as? String == "acme" && fw["sourceVersion"] as? Int == 1 && fw["description"] as? String == "")
    }

    @Test func everySourceFailingAppliesNothingAndExits3() async throws {
        let w = Workspace()
        _ = w.key("eole")   // a trusted key, but nothing published at the source's URL
        try w.configure([fileSource("eole", priority: 100)])
        let run = try await w.sync()
        #expect(run.code == 3, "\(run.stderr)")
        #expect(run.report["status"] as? String == "failed")
        #expect(run.report.conflicts(kind: "source-unavailable").first?["subject"] as? String == "eole")
    }

    @Test func prioritiesAndScopesDecideAsSpecified() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.publish("ministry", version: 1, files: eoleTree(amonDefault: "aucun"))
        try w.publish("acme", version: 1, files: [
            "versions/2.7.yml": "name: \"2.7\"\nlabel: ACME's 2.7\n",
            "releases/2.7.1/servermodels/acme-fw.yml": "name: acme-fw\nparent: amon\n",
            "releases/2.7.1/servermodels/amon.yml": "name: amon\n",
            "releases/2.8.0/servermodels/acme-new.yml": "name: acme-new\n",
        ])
        try w.configure([fileSource("eole", priority: 100), fileSource("ministry", priority: 90),
                         fileSource("acme", kind: "external", priority: 500, scope: "[\"2.7.*/acme-*\"]")])
        let run = try await w.sync()
        #expect(run.code == 0, "\(run.stderr)")
        #expect(try await w.model("2.7.1/amon")["source"] as? String == "eole")
        #expect(try await w.model("2.7.1/acme-fw")["source"] as? String == "acme")
        let shadowed = run.report.conflicts(kind: "shadowed").first { $0["subject"] as? String == "2.7.1/amon" }
        #expect(shadowed?["sources"] as? [String] == ["eole", "ministry"])
        #expect(shadowed?["severity"] as? String == "warning")
        #expect(shadowed?.conflictFields == #"{"losers":["ministry"],"winner":"eole"}"#)
        let identical = run.report.conflicts(kind: "shadowed").first { $0["subject"] as? String == "2.7.1/eolebase" }
        #expect(identical?["severity"] as? String == "info")
        let outOfScope = run.report.conflictFields(kind: "out-of-scope")
        #expect(Set(outOfScope.keys).isSuperset(of: ["2.7.1/amon", "2.8.0/acme-new", "2.7"]))
        // The scope refused the models; the external kind's role refused the version.
        #expect(outOfScope["2.7.1/amon"] == #"{"scope":["2.7.*/acme-*"]}"# && outOfScope["2.8.0/acme-new"] == #"{"scope":["2.7.*/acme-*"]}"#)
        #expect(outOfScope["2.7"] == #"{"role":"addon"}"#)
        #expect(try await w.zm(["models", "show", "2.8.0/acme-new"]).code != 0)

        // Raising the ministry's priority changes the winner without any new bundle.
        try w.configure([fileSource("eole", priority: 100), fileSource("ministry", priority: 200),
                         fileSource("acme", kind: "external", priority: 500, scope: "[\"2.7.*/acme-*\"]")])
        let again = try await w.sync()
        #expect(again.code == 0)
        #expect(try await w.model("2.7.1/amon")["source"] as? String == "ministry")
        #expect(again.report.changes.contains { $0["subject"] as? String == "2.7.1/amon" && $0["action"] as? String == "change" })
        let explain = try await w.zm(["models", "show", "2.7.1/amon", "--explain"]).stdout
        #expect(explain.contains("ministry (priority 200): won"))
        #expect(explain.contains("eole (priority 100): shadowed"))
        #expect(explain.contains("acme (priority 500): ignored: outside this source's scope"))
    }

    @Test func dryRunAndPlanWriteNothing() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree())
        try w.configure([fileSource("eole", priority: 100)])
        let plan = try await w.zm(["plan"])
        #expect(plan.code == 0)
        #expect(plan.stdout.contains("+ model 2.7.1/amon"))
        #expect(plan.stdout.contains("Run `zephir-models sync` to apply."))
        #expect(try await w.zm(["models", "list", "--json"]).modelsList.isEmpty)
        let dry = try await w.sync(["--dry-run"])
        #expect(dry.code == 0 && dry.report["dryRun"] as? Bool == true)
        let history = try await w.zm(["history", "--json"])
        #expect(try history.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]" || (history.json() as? [Any])?.isEmpty == true)
    }
}
