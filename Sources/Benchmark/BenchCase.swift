import Foundation
import GRDB

/// One size: its signed bundles (version 1, and version 2 with one model file changed), the
/// configurations that point an `eole` source at each, and the runs that time them.
struct BenchCase {
    let size: BenchOptions.Size
    let folder: URL
    let binary: String
    let key: URL
    let publicKey: URL

    var bundle1: URL { folder.appendingPathComponent("bundle-v1") }
    var bundle2: URL { folder.appendingPathComponent("bundle-v2") }
    var database: URL { folder.appendingPathComponent("run/zephir.db") }
    var cache: URL { folder.appendingPathComponent("run/cache") }
    var config1: URL { folder.appendingPathComponent("config-v1.yml") }
    var config2: URL { folder.appendingPathComponent("config-v2.yml") }
    /// The model whose file version 2 changes.
    var changedModel: String { "2.7.0/module-" + String(format: "%04d", max(1, (size.models - 9) / 2)) }

    /// Generates both bundles with the release binary (`fake generate`, then `publish` of an edited copy).
    func prepare() throws {
        let fm = FileManager.default
        try? fm.removeItem(at: folder)
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try ChildProcess.run([binary, "fake", "generate", bundle1.path, "--seed", "7", "--releases", "1", "--models", "\(size.models)",
                              "--variables", "\(size.variables)", "--sign", key.path, "--version", "1", "--source", "eole", "--expires", "365d"],
                             in: folder)
        // Version 2: the same tree with one model's description changed.
        let tree2 = folder.appendingPathComponent("tree-v2")
        try fm.copyItem(at: bundle1.appendingPathComponent("tree"), to: tree2)
        let name = size.models > 9 ? String(changedModel.split(separator: "/")[1]) : "eolebase"
        let file = tree2.appendingPathComponent("releases/2.7.0/servermodels/\(name).yml")
        var text = try String(contentsOf: file, encoding: .utf8)
        guard let line = text.range(of: "description: \"") else { throw BenchError("\(file.path): no description to change") }
        text.replaceSubrange(line, with: "description: \"Changed in version 2: ")
        try text.write(to: file, atomically: true, encoding: .utf8)
        try ChildProcess.run([binary, "publish", tree2.path, "--source", "eole", "--key", key.path, "--version", "2", "--expires", "365d",
                              "--out", bundle2.path], in: folder)
        try fm.removeItem(at: tree2)
        for (config, bundle) in [(config1, bundle1), (config2, bundle2)] {
            try writeConfig(config, bundle: bundle, database: "sqlite:\(database.path)")
        }
    }

    /// Configurations of versions 1 and 2 for the database `url` (a PostgreSQL schema).
    func configs(database url: String) throws -> (URL, URL) {
        let v1 = folder.appendingPathComponent("config-pg-v1.yml"), v2 = folder.appendingPathComponent("config-pg-v2.yml")
        try writeConfig(v1, bundle: bundle1, database: url)
        try writeConfig(v2, bundle: bundle2, database: url)
        return (v1, v2)
    }

    private func writeConfig(_ config: URL, bundle: URL, database: String) throws {
        try """
            database: "\(database)"
            cache: \(cache.path)
            sources:
              - name: eole
                kind: eole
                url: file:\(bundle.path)
                priority: 100
                signature: {policy: required, threshold: 1, keys: [\(publicKey.path)]}
            """.write(to: config, atomically: true, encoding: .utf8)
    }

    /// The largest file of the bundle, in bytes.
    func largestFile() -> Int {
        let walker = FileManager.default.enumerator(at: bundle1.appendingPathComponent("tree"), includingPropertiesForKeys: [.fileSizeKey])
        var largest = 0
        while let url = walker?.nextObject() as? URL {
            largest = max(largest, (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0) ?? 0)
        }
        return largest
    }

    func reset() throws {
        try? FileManager.default.removeItem(at: database.deletingLastPathComponent())
        try FileManager.default.createDirectory(at: database.deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    /// Runs `sync --json` and checks what it reports.
    func sync(_ config: URL, expect status: String, modelsAdded: Int? = nil, modelsChanged: Int? = nil) throws -> ChildProcess.Outcome {
        let outcome = try ChildProcess.run([binary, "sync", "--json", "--config", config.path], in: folder)
        guard let report = try? JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any] else {
            throw BenchError("sync printed no JSON report: \(outcome.stdout.prefix(500)) \(outcome.stderr.prefix(500))")
        }
        let changes = (report["changes"] as? [[String: Any]]) ?? []
        func count(_ action: String) -> Int { changes.filter { $0["entity"] as? String == "model" && $0["action"] as? String == action }.count }
        guard report["status"] as? String == status else { throw BenchError("sync status \(report["status"] ?? "?"), expected \(status)") }
        if let modelsAdded, count("add") != modelsAdded { throw BenchError("sync added \(count("add")) models, expected \(modelsAdded)") }
        if let modelsChanged {
            let changed = changes.filter { $0["entity"] as? String == "model" && $0["action"] as? String == "change" }.compactMap { $0["subject"] as? String }
            guard changed == [changedModel] || (size.models <= 9 && changed.count == 1) else {
                throw BenchError("sync changed \(changed), expected [\(changedModel)]")
            }
            _ = modelsChanged
        }
        return outcome
    }

    /// Rows a cold sync wrote (models, variables, their services, services, releases, versions).
    func rowCount() throws -> Int {
        let queue = try DatabaseQueue(path: database.path)
        return try queue.read { db in
            try ["model", "variable", "model_service", "service", "release", "version"].reduce(0) { total, table in
                total + (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? 0)
            }
        }
    }

    /// The peer on version 1: into the SQLite file `database`, or PostgreSQL's `postgres://` URL.
    func peer(_ script: String, python: String, database: String) throws -> ChildProcess.Outcome {
        if !database.hasPrefix("postgres") { try? FileManager.default.removeItem(atPath: database) }
        return try ChildProcess.run([python, script, bundle1.path, database, "--trust", publicKey.path], in: folder)
    }
}
