import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import ZephirCore
import ZephirTestSupport

/// Runs the built `zephir-models` executable as an operator would.
struct CLI {
    struct Result {
        var code: Int32
        var stdout: String
        var stderr: String

        struct NotJSON: Error, CustomStringConvertible {
            var result: Result
            var description: String { "not JSON (exit \(result.code)): stdout: \(result.stdout.prefix(500)) stderr: \(result.stderr.prefix(500))" }
        }

        func json() throws -> Any {
            do { return try JSONSerialization.jsonObject(with: Data(stdout.utf8)) } catch { throw NotJSON(result: self) }
        }
    }

    let directory: URL

    @discardableResult
    /// Awaits the end without holding a thread of the shared pool: with two cores, two scenarios
    /// blocked in `waitUntilExit` starved every timer of the test process.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Result {
        let result = try await ChildProcess.zephir(arguments, in: directory, environment: environment).wait()
        return Result(code: result.code, stdout: result.stdout, stderr: result.stderr)
    }

    /// Runs `sync --json` and returns its exit code and report.
    func sync(_ extra: [String] = []) async throws -> (code: Int32, report: [String: Any], stderr: String) {
        let result = try await run(["sync", "--json"] + extra)
        let report = (try? result.json()) as? [String: Any] ?? [:]
        return (result.code, report, result.stderr)
    }
}

/// The database the end-to-end scenarios sync into: SQLite (`state.db` in each workspace), or,
/// when `ZEPHIR_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB` names a server, a schema of
/// that database per workspace. `ZEPHIR_TEST_E2E_STORE=sqlite` forces SQLite even then.
enum E2EDatabase {
    case sqlite
    case postgres(server: String)

    static let current: E2EDatabase = {
        let environment = ProcessInfo.processInfo.environment
        guard let server = environment["ZEPHIR_TEST_POSTGRES_URL"], !server.isEmpty, environment["ZEPHIR_TEST_E2E_STORE"] != "sqlite" else {
            return .sqlite
        }
        return .postgres(server: server)
    }()
}

/// A scratch folder for one scenario: publishers' keys and bundles, a config, a database.
final class Workspace: @unchecked Sendable {
    let root: URL
    let cli: CLI
    var keys: [String: PrivateKey] = [:]
    /// The `database:` of the workspace's configuration.
    let database: String
    /// The PostgreSQL schema of the workspace, dropped with it.
    private let schema: (server: String, name: String)?

    init() {
        root = temporaryFolder("zm-e2e")
        cli = CLI(directory: root)
        switch E2EDatabase.current {
        case .sqlite:
            database = "sqlite:state.db"
            schema = nil
        case .postgres(let server):
            let name = "zm_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            database = server + (server.contains("?") ? "&" : "?") + "schema=" + name
            schema = (server, name)
        }
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
        if let schema { PSQL.run(schema.server, ["DROP SCHEMA IF EXISTS \(schema.name) CASCADE"]) }
    }

    /// Takes the run lock of the workspace's database as another run would, until `release()`:
    /// `flock(2)` on `state.db.lock`, or the PostgreSQL advisory lock from a `psql` session.
    func holdRunLock() throws -> RunLockHolder {
        guard let schema else {
            let fd = open(file("state.db.lock").path, O_RDWR | O_CREAT, 0o644)
            guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else { throw RunLockHolder.NotTaken() }
            return RunLockHolder { flock(fd, LOCK_UN); close(fd) }
        }
        // psql reads its commands from a pipe and keeps the session (and the lock) until the pipe closes.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", schema.server]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lock = "zephir-models run \(schema.name)"
        input.fileHandleForWriting.write(Data("SELECT pg_advisory_lock(hashtextextended('\(lock)', 0));\n\\echo locked\n".utf8))
        var seen = ""
        while !seen.contains("locked") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { throw RunLockHolder.NotTaken() }
            seen += String(decoding: data, as: UTF8.self)
        }
        return RunLockHolder {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    func key(_ name: String) -> PrivateKey {
        if let key = keys[name] { return key }
        let key = PrivateKey()
        keys[name] = key
        try! Data((key.publicKey.text + "\n").utf8).write(to: root.appendingPathComponent("\(name).pub"))
        return key
    }

    /// Writes a tree (path → YAML) and publishes it as `bundles/NAME` at `version`.
    @discardableResult
    func publish(_ source: String, version: Int, files: [String: String], signers: [String]? = nil, expires: TimeInterval = 30 * 86400) throws -> URL {
        let out = root.appendingPathComponent("bundles/\(source)")
        let sorted = files.keys.sorted().map { (path: $0, bytes: Array(files[$0]!.utf8)) }
        let now = Date()
        _ = try BundleWriter.publish(files: sorted, .init(source: source, keys: (signers ?? [source]).map(key), version: version,
                                                          expires: now.addingTimeInterval(expires), now: now, output: out))
        return out
    }

    /// Re-signs a bundle's index after `change` edits it (to forge attacks that pass the signature).
    func resign(_ source: String, signer: String? = nil, _ change: (inout BundleIndex) -> Void) throws {
        let url = root.appendingPathComponent("bundles/\(source)/index.json")
        let envelope = try Envelope.parse(Data(contentsOf: url))
        var index = try BundleIndex.parse(envelope.payloadBytes())
        change(&index)
        try Envelope.sign(payload: index.encoded(), keys: [key(signer ?? source)]).encoded().write(to: url)
    }

    func file(_ relative: String) -> URL { root.appendingPathComponent(relative) }

    func write(_ relative: String, _ text: String) throws {
        let url = file(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// Writes `config.yml` with these source entries (YAML list items, already indented).
    func configure(_ sources: [String], extra: String = "") throws {
        let database = schema == nil ? self.database : "\"\(self.database)\""
        try write("config.yml", "database: \(database)\ncache: cache\nlock_timeout: 2s\n\(extra)sources:\n" + sources.joined())
    }
}

/// The run lock held by ``Workspace/holdRunLock()``.
final class RunLockHolder {
    struct NotTaken: Error {}
    private var action: (() -> Void)?

    init(_ action: @escaping () -> Void) { self.action = action }

    func release() {
        action?()
        action = nil
    }

    deinit { release() }
}

/// YAML entry of a source reading `bundles/NAME` from disk.
func fileSource(_ name: String, kind: String = "eole", priority: Int, scope: String = "[\"*\"]", signers: [String]? = nil, threshold: Int = 1,
                policy: String = "required", url: String? = nil) -> String {
    let keys = (signers ?? [name]).map { "\($0).pub" }.joined(separator: ", ")
    return """
      - name: \(name)
        kind: \(kind)
        url: \(url ?? "file:bundles/\(name)")
        priority: \(priority)
        signature: {policy: \(policy), threshold: \(threshold), keys: [\(keys)]}
        scope: \(scope)

    """
}

/// A small valid EOLE-like tree; `amonDefault` changes amon's content.
func eoleTree(release: String = "2.7.1", amonDefault: String = "souple", withScribe: Bool = true, extraAmonVariables: String = "") -> [String: String] {
    var files = [
        "versions/2.7.yml": "name: \"2.7\"\nlabel: EOLE 2.7\n",
        "releases/\(release)/release.yml": "name: \(release)\nversion: \"2.7\"\nstatus: stable\ndate: \"2025-02-12\"\n",
        "releases/\(release)/applicationservices/eole-web.yml": "name: eole-web\npackages: [apache2]\n",
        "releases/\(release)/applicationservices/eole-proxy.yml": "name: eole-proxy\npackages: [squid]\ndepends: [eole-web]\n",
        "releases/\(release)/servermodels/eolebase.yml": """
            name: eolebase
            services: [eole-web]
            variables:
              nom_machine: {type: string, default: "eolebase", mandatory: true}
              port_ssh: {type: port, default: 22}

            """,
        "releases/\(release)/servermodels/amon.yml": """
            name: amon
            parent: eolebase
            services: [eole-proxy]
            variables:
              mode_filtrage: {type: choice, choices: [strict, souple, aucun], default: \(amonDefault)}
              activer_proxy: {type: boolean, default: true}
            \(extraAmonVariables)
            """,
    ]
    if withScribe {
        files["releases/\(release)/servermodels/scribe.yml"] = "name: scribe\nparent: eolebase\nvariables:\n  quota: {type: integer, default: 500}\n"
    }
    return files
}

/// The default of `mode_filtrage` in the `2.7.1/amon` model in force (what `eoleTree(amonDefault:)` set).
func amonDefault(_ w: Workspace) async throws -> String? {
    ((try await w.model("2.7.1/amon")["variables"] as? [[String: Any]])?.first {
        ($0["variable"] as? [String: Any])?["name"] as? String == "mode_filtrage" }?["variable"] as? [String: Any])?["defaultValue"] as? String
}

extension CLI.Result {
    var modelsList: [[String: Any]] { ((try? json()) as? [[String: Any]]) ?? [] }
}

extension Dictionary where Key == String, Value == Any {
    var conflicts: [[String: Any]] { self["conflicts"] as? [[String: Any]] ?? [] }
    var sources: [[String: Any]] { self["sources"] as? [[String: Any]] ?? [] }
    var changes: [[String: Any]] { self["changes"] as? [[String: Any]] ?? [] }

    func conflicts(kind: String) -> [[String: Any]] { conflicts.filter { $0["kind"] as? String == kind } }
    func result(of source: String) -> String? { sources.first { $0["source"] as? String == source }?["result"] as? String }

    /// A conflict's structured fields (SPEC §7): its keys but the five every conflict has, as JSON with sorted keys.
    var conflictFields: String {
        let fields = filter { !["kind", "severity", "subject", "sources", "detail"].contains($0.key) }
        return String(decoding: (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data(), as: UTF8.self)
    }

    /// The structured fields of each conflict of `kind`, by subject.
    func conflictFields(kind: String) -> [String: String] {
        [String: String](conflicts(kind: kind).map { ($0["subject"] as? String ?? "", $0.conflictFields) }, uniquingKeysWith: { a, b in a + " " + b })
    }
}
