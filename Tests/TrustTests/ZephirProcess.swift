import Foundation
import Testing

/// The built `zephir-models` executable, run as a separate process as an operator would.
enum ZephirExecutable {
    /// Beside the test bundle (`swift test` builds it), else under `.build/debug`.
    static let url: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("zephir-models")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/zephir-models")
    }()
}

/// One started process, its output going to files (so that a chatty child never blocks on a pipe).
final class ChildProcess: @unchecked Sendable {
    struct Result {
        var code: Int32
        /// Whether it ended by a signal (SIGKILL from a test).
        var killed: Bool
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    let process = Process()
    private let out: URL
    private let err: URL
    private let start = ContinuousClock.now

    init(_ executable: URL, _ arguments: [String], in directory: URL) throws {
        out = directory.appendingPathComponent(".out-\(UUID().uuidString)")
        err = directory.appendingPathComponent(".err-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        // The executable may be being relinked by a concurrent build (ETXTBSY): try again a while.
        for attempt in 1...100 {
            do {
                try process.run()
                return
            } catch let error as NSError where attempt < 100 && (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY) {
                usleep(100_000)
            }
        }
    }

    var isRunning: Bool { process.isRunning }
    var elapsed: Double { Self.seconds(ContinuousClock.now - start) }

    /// SIGKILL; returns whether the process was still running to receive it.
    @discardableResult
    func kill() -> Bool {
        guard process.isRunning else { return false }
        return Foundation.kill(process.processIdentifier, SIGKILL) == 0
    }

    /// Waits for the end (killing the process after `limit` seconds, which records an issue),
    /// polling without blocking a thread of the shared pool.
    func wait(limit: Double = 300, sourceLocation: SourceLocation = #_sourceLocation) async -> Result {
        while process.isRunning {
            if elapsed > limit {
                Issue.record("\(process.arguments ?? []) still running after \(limit) s; killed", sourceLocation: sourceLocation)
                kill()
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        process.waitUntilExit()
        let seconds = elapsed
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return Result(code: process.terminationStatus, killed: process.terminationReason == .uncaughtSignal,
                      stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "", stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "",
                      seconds: seconds)
    }

    static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}

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
        root = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// Writes a configuration with one fake source and `database` (this folder's SQLite database
    /// unless given); returns its path.
    @discardableResult
    func configure(_ fake: FakeSpec, file: String = "config.yml", lockTimeout: String = "60s", database: String = "sqlite:state.db") throws -> String {
        let text = """
            database: "\(database)"
            cache: cache
            lock_timeout: \(lockTimeout)
            sources:
              - name: fake
                kind: fake
                priority: 10
                fake: {seed: \(fake.seed), releases: \(fake.releases), models: \(fake.models), variables: \(fake.variables), version: \(fake.version)}
                signature: {policy: off}

            """
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
        try ChildProcess(ZephirExecutable.url, arguments, in: root)
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
