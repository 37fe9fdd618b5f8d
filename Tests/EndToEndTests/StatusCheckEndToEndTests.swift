import Foundation
import Testing
@testable import ZephirCore

/// `status --check` (SPEC §9) in each of its four states, against the store the harness picks
/// (PostgreSQL when ZEPHIR_TEST_POSTGRES_URL is set, else SQLite).
@Suite(.serialized) struct StatusCheckEndToEndTests {
    /// Runs `status --check` and splits its single line at `|`.
    func check(_ w: Workspace, _ extra: [String] = []) async throws -> (code: Int32, text: String, perfdata: [String: String], lines: Int) {
        let result = try await w.zm(["status", "--check"] + extra)
        let parts = result.stdout.split(separator: "|", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        var perfdata: [String: String] = [:]
        for item in (parts.count > 1 ? parts[1] : "").split(separator: " ") {
            let pair = item.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { perfdata[String(pair[0])] = String(pair[1]) }
        }
        return (result.code, parts.first ?? "", perfdata, result.stdout.split(separator: "\n").count)
    }

    @Test func okWhenEverySourceIsInstalledAndNothingIsOpen() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree(), expires: 90 * 86400)
        try w.configure([fileSource("eole", priority: 100)])
        #expect(try await w.sync().code == 0)
        let ok = try await check(w)
        #expect(ok.code == 0)
        #expect(ok.lines == 1)
        #expect(ok.text.hasPrefix("ZEPHIR-MODELS OK - 1 of 1 sources installed, 3 root and 0 local models, last successful run"), "\(ok.text)")
        #expect(ok.perfdata["sources_installed"] == "1;;1:;0;1")
        #expect(ok.perfdata["models_root"] == "3;;;0;")
        #expect(ok.perfdata["conflicts_error"] == "0;;0;0;")
        let expiry = ok.perfdata["expiry_days_eole"]?.split(separator: ";", omittingEmptySubsequences: false) ?? []
        #expect(expiry.count == 3 && expiry[1] == "30:" && expiry[2] == "0:", "\(ok.perfdata)")
        #expect(expiry.first.flatMap { Double($0) }.map { (89.9...90.01).contains($0) } == true, "days until the index expires")
        #expect(ok.perfdata["last_success_age"]?.hasSuffix("s;;93600;0;") == true)
    }

    @Test func warningWhenAnIndexExpiresWithin30DaysOrASourceFailedButKeepsContent() async throws {
        let w = Workspace()
        try w.publish("eole", version: 1, files: eoleTree(), expires: 2 * 86400)
        try w.configure([fileSource("eole", priority: 100)])
        #expect(try await w.sync().code == 0)
        let expiring = try await check(w)
        #expect(expiring.code == 1)
        #expect(expiring.text.hasPrefix("ZEPHIR-MODELS WARNING - eole: index expires in 1 day ("), "\(expiring.text)")

        // A failed attempt while the installed content stays in force: still a warning, naming both.
        try FileManager.default.removeItem(at: w.file("bundles/eole/index.json"))
        #expect(try await w.sync().code == 3)
        let failing = try await check(w)
        #expect(failing.code == 1)
        #expect(failing.text.contains("eole: last attempt unavailable, version 1 kept"), "\(failing.text)")
        #expect(failing.text.contains("eole: index expires in"))
    }

    @Test func criticalWhenASourceWasNeverInstalledOrNoRunSucceededForMaxAge() async throws {
        let w = Workspace()
        _ = w.key("acme")
        try w.publish("eole", version: 1, files: eoleTree(), expires: 90 * 86400)
        try w.configure([fileSource("eole", priority: 100), fileSource("acme", kind: "external", priority: 50)])
        #expect(try await w.sync().code == 2)
        let never = try await check(w)
        #expect(never.code == 2)
        #expect(never.text.hasPrefix("ZEPHIR-MODELS CRITICAL - acme: never installed"), "\(never.text)")
        #expect(never.perfdata["sources_installed"] == "1;;2:;0;2")

        let quiet = Workspace()
        try quiet.publish("eole", version: 1, files: eoleTree(), expires: 90 * 86400)
        try quiet.configure([fileSource("eole", priority: 100)])
        #expect(try await quiet.sync().code == 0)
        #expect(try await check(quiet, ["--max-age", "1h"]).code == 0)
        try await Task.sleep(for: .milliseconds(2100))
        let stale = try await check(quiet, ["--max-age", "1s"])
        #expect(stale.code == 2)
        #expect(stale.text.hasPrefix("ZEPHIR-MODELS CRITICAL - no successful run for "), "\(stale.text)")
        #expect(stale.text.contains("(more than 1 s)"))
        #expect(stale.perfdata["last_success_age"]?.hasSuffix("s;;1;0;") == true)
    }

    @Test func unknownWhenTheConfigurationOrTheDatabaseCannotBeRead() async throws {
        let w = Workspace()
        try w.write("config.yml", "database: sqlite:state.db\nsources: [oops\n")
        let broken = try await check(w)
        #expect(broken.code == 3)
        #expect(broken.lines == 1)
        #expect(broken.text.hasPrefix("ZEPHIR-MODELS UNKNOWN - "), "\(broken.text)")
        #expect(broken.text.contains("config.yml"))

        let unreachable: String
        switch E2EDatabase.current {
        case .sqlite: unreachable = "sqlite:\(w.root.path)/not-a-folder/state.db"   // a file where a folder should be
        case .postgres: unreachable = "\"postgres://zm@127.0.0.1:1/postgres?sslmode=disable\""
        }
        try w.write("not-a-folder", "")
        try w.write("config.yml", "database: \(unreachable)\ncache: cache\nsources:\n" + fileSource("eole", priority: 100))
        _ = w.key("eole")
        let database = try await check(w)
        #expect(database.code == 3)
        #expect(database.text.hasPrefix("ZEPHIR-MODELS UNKNOWN - "), "\(database.text)")
        #expect(try await w.zm(["status", "--max-age", "1h"]).code == 64, "--max-age without --check is a usage error")
    }
}
