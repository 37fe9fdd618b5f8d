import Foundation
import Testing
@testable import ZephirCore

/// SPEC §8 retention: `history: {keep_runs: N}` keeps the layers of the newest N runs; a
/// rollback to a pruned run exits 65 and names the oldest run it can restore.
@Suite(.serialized) struct RetentionEndToEndTests {
    @Test func rollingBackToAPrunedRunNamesTheOldestRestorableOne() async throws {
        let w = Workspace()
        try w.configure([fileSource("eole", priority: 100)], extra: "history: {keep_runs: 3}\n")
        for version in 1...5 {
            try w.publish("eole", version: version, files: eoleTree(amonDefault: version % 2 == 0 ? "strict" : "souple"))
            let run = try await w.sync()
            #expect(run.code == 0, "\(run.stderr)")
        }
        let history = try await w.zm(["history", "--json"])
        let runs = (try history.json() as? [[String: Any]] ?? []).compactMap { $0["id"] as? Int }
        #expect(runs == [5, 4, 3], "\(history.stdout)")

        let pruned = try await w.zm(["rollback", "--to", "2"])
        #expect(pruned.code == 65, "\(pruned.stderr)")
        #expect(pruned.stderr.contains("the oldest run this database can restore is 3"), "\(pruned.stderr)")

        let kept = try await w.zm(["rollback", "--to", "3", "--json"])
        #expect(kept.code == 0, "\(kept.stderr)")
        let amon = try await w.model("2.7.1/amon")
        #expect((amon["variables"] as? [[String: Any]])?.contains { ($0["variable"] as? [String: Any])?["defaultValue"] as? String == "souple" } == true)
    }
}
