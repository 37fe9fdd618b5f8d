import Foundation
import Testing
import ZephirTestSupport

/// What a `fake` source generates: its seed, size and version.
struct FakeSpec: Hashable, CustomStringConvertible {
    var seed: UInt64
    var releases = 2
    var models: Int
    var variables: Int
    var version: Int

    var description: String { "seed \(seed) v\(version) (\(releases)×\(models)×\(variables))" }

    /// The same content at another version.
    func at(_ version: Int) -> FakeSpec { var copy = self; copy.version = version; return copy }
    /// Whether two sources generate the same tree (whatever their versions).
    func sameTree(_ other: FakeSpec) -> Bool { at(0) == other.at(0) }
}

/// A folder with a configuration and a SQLite database, synced by real processes.
final class SyncWorkspace: @unchecked Sendable {
    let root: URL
    var database: URL { root.appendingPathComponent("state.db") }

    init(_ name: String = "zm-sync") {
        root = temporaryFolder(name)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes a configuration with one fake source; returns its path.
    @discardableResult
    func configure(_ fake: FakeSpec, file: String = "config.yml", lockTimeout: String = "60s", database: String = "sqlite:state.db") throws -> String {
        let text = fakeSourceConfig(database: database,
                                    fake: "{seed: \(fake.seed), releases: \(fake.releases), models: \(fake.models), variables: \(fake.variables), version: \(fake.version)}",
                                    lockTimeout: lockTimeout)
        return try write(file, text)
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    func start(_ arguments: [String]) throws -> ChildProcess {
        try ChildProcess.zephir(arguments, in: root)
    }

    func run(_ arguments: [String], limit: Double = 300, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ChildProcess.Result {
        try await start(arguments).wait(limit: limit, sourceLocation: sourceLocation)
    }

    func sync(config: String = "config.yml") async throws -> ChildProcess.Result { try await run(["sync", "--json", "--config", config]) }

    /// `models list --json`, raw.
    func modelsList(config: String = "config.yml") async throws -> String {
        let result = try await run(["models", "list", "--json", "--config", config])
        #expect(result.code == 0, "models list: \(result.stderr)")
        return result.stdout
    }

    func probe() async throws -> DatabaseProbe.State { try await DatabaseProbe.read(database, scratch: root) }
}

/// The models list with the source version taken out: (list, versions seen).
func splitVersions(_ list: String) -> (list: String, versions: Set<Int>) {
    guard let models = (try? JSONSerialization.jsonObject(with: Data(list.utf8))) as? [[String: Any]] else { return (list, []) }
    var versions = Set<Int>()
    let stripped = models.map { model -> [String: Any] in
        var copy = model
        if let v = copy.removeValue(forKey: "sourceVersion") as? Int { versions.insert(v) }
        return copy
    }
    let data = (try? JSONSerialization.data(withJSONObject: stripped, options: [.sortedKeys])) ?? Data()
    return (String(decoding: data, as: UTF8.self), versions)
}
