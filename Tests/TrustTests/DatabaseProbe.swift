import Foundation
import Testing
import ZephirTestSupport

/// Reads a SQLite database from outside the program (Python's standard `sqlite3`): its
/// integrity, a digest of the root content and layers, and the runs.
enum DatabaseProbe {
    struct Run: Decodable, Equatable {
        var id: Int
        var status: String
        var added: Int
        var changed: Int
        var removed: Int
        var conflictCount: Int
        var sources: String

        struct Attempt: Decodable { var source: String; var result: String; var version: Int?; var message: String? }
        var attempts: [Attempt] { (try? JSONDecoder().decode([Attempt].self, from: Data(sources.utf8))) ?? [] }
    }

    struct State: Decodable {
        var integrity: String
        var foreignKeyViolations: Int
        /// SHA-256 over every row of the root content and the layers' files (not their versions).
        var content: String
        var models: Int
        var variables: Int
        var layers: [String: Int]
        var runs: [Run]
        /// Conflicts whose run does not exist.
        var orphanConflicts: Int
        /// Conflict rows per run id.
        var conflictsByRun: [String: Int]

        var fakeVersion: Int? { layers["fake"] }
    }

    static let script = #"""
import hashlib, json, sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=60)
out = {"integrity": "", "foreignKeyViolations": 0, "content": "", "models": 0, "variables": 0, "layers": {}, "runs": [],
       "orphanConflicts": 0, "conflictsByRun": {}}
out["integrity"] = "; ".join(r[0] for r in db.execute("PRAGMA integrity_check"))
out["foreignKeyViolations"] = len(db.execute("PRAGMA foreign_key_check").fetchall())
tables = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
if ("model",) in [tuple(t) for t in tables]:
    h = hashlib.sha256()
    for table, columns in [
        ("version", "name, label, end_of_support, source, digest"),
        ("release", "name, version, status, date, source, digest"),
        ("service", "release, name, description, packages, depends, source, digest"),
        ("model", "release, name, origin, parent, description, source, digest"),
        ("model_service", "release, model, position, service"),
        ("variable", "release, model, position, name, type, default_value, mandatory, description, choices"),
        ("layer_file", "source, path, sha256, size"),
    ]:
        for row in db.execute("SELECT %s FROM %s ORDER BY %s" % (columns, table, columns)):
            h.update(repr((table,) + tuple(row)).encode("utf-8"))
    out["content"] = h.hexdigest()
    out["models"] = db.execute("SELECT COUNT(*) FROM model WHERE origin = 'root'").fetchone()[0]
    out["variables"] = db.execute("SELECT COUNT(*) FROM variable").fetchone()[0]
    out["layers"] = {s: v for s, v in db.execute("SELECT source, version FROM source_layer")}
    out["runs"] = [{"id": r[0], "status": r[1], "added": r[2], "changed": r[3], "removed": r[4], "conflictCount": r[5], "sources": r[6]}
                   for r in db.execute("SELECT id, status, models_added, models_changed, models_removed, conflict_count, sources FROM run ORDER BY id")]
    out["orphanConflicts"] = db.execute("SELECT COUNT(*) FROM conflict WHERE run NOT IN (SELECT id FROM run)").fetchone()[0]
    out["conflictsByRun"] = {str(r): n for r, n in db.execute("SELECT run, COUNT(*) FROM conflict GROUP BY run")}
else:
    out["content"] = "no-schema"
db.close()
print(json.dumps(out))
"""#

    struct Failed: Error, CustomStringConvertible { var description: String }

    static func read(_ database: URL, scratch: URL) async throws -> State {
        let script = scratch.appendingPathComponent("probe.py")
        if !FileManager.default.fileExists(atPath: script.path) { try Data(Self.script.utf8).write(to: script) }
        let child = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", script.path, database.path], in: scratch)
        let result = await child.wait(limit: 120)
        guard result.code == 0, let state = try? JSONDecoder().decode(State.self, from: Data(result.stdout.utf8)) else {
            throw Failed(description: "probe failed (\(result.code)): \(result.stderr.prefix(2000))")
        }
        return state
    }
}
