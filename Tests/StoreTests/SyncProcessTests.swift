import Foundation
@testable import PostgresStore
import SQLiteStore
import Testing
@testable import ZephirCore
#if canImport(Glibc)
import Glibc
#endif

/// Syncs run by the built `zephir-models` executable, in processes of their own, against one
/// database of each store: a run killed with SIGKILL in the middle of its commit leaves the
/// database as it was; two runs started at once never interleave.
@Suite struct SyncProcessTests {
    /// The release of the generated trees (`fake` with `releases: 1`).
    static let release = "2.7.0"

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func aSyncKilledInTheMiddleOfItsCommitLeavesThePreviousState(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let folder = try SyncProcess.folder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let tag = "zm_kill_" + UUID().uuidString.prefix(8).lowercased()
            let url = fixture == .postgres ? database.url + "&application_name=" + tag : database.url

            try SyncProcess.configure(folder, database: url, fake: "{seed: 1, releases: 1, models: 20, variables: 20}")
            let first = try await SyncProcess.start(folder).finish()
            try #require(first.code == 0, "\(first.stderr)")
            let before = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(before.roots.count == 20 && before.runs.count == 1)

            // A new version with many more variables: its commit writes for a while.
            try SyncProcess.configure(folder, database: url, fake: "{seed: 2, version: 2, releases: 1, models: 250, variables: 400}")
            let sync = try SyncProcess.start(folder)
            let inCommit = try await waitUntilCommitting(fixture, database: database, folder: folder, tag: tag, process: sync)
            sync.kill()
            let killed = await sync.finish()
            try #require(inCommit, "the sync ended before its commit was seen: \(killed.code) \(killed.stderr)")
            #expect(killed.code == -1 || killed.signal == SIGKILL)

            let after = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(after == before, "the killed run left a trace")

            // The same run, not killed, applies.
            let again = try await SyncProcess.start(folder).finish()
            #expect(again.code == 0, "\(again.stderr)")
            let applied = try await StoreSnapshot(database.reopen(), release: Self.release)
            #expect(applied.runs.count == 2 && applied.roots.count == 250)
            #expect(applied.roots.values.allSatisfy { $0.value.variables.count <= 400 })
        }
    }

    /// Polls until the sync is inside its commit transaction: its PostgreSQL session has a
    /// transaction id (it wrote), or SQLite's write-ahead log grows (pages spilled before COMMIT).
    private func waitUntilCommitting(_ fixture: StoreFixture, database: TestDatabase, folder: URL, tag: String,
                                     process: SyncProcess) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(300)
        switch fixture {
        case .postgres:
            let store = try #require(database.store as? PostgresStore)
            while ContinuousClock.now < deadline, process.isRunning {
                let writing = try await store.rows("""
                    SELECT pid::text FROM pg_stat_activity
                    WHERE application_name = '\(tag)' AND backend_xid IS NOT NULL AND state <> 'idle'
                    """)
                if !writing.isEmpty { return true }
                try await Task.sleep(for: .milliseconds(5))
            }
        case .sqlite:
            let path = String(database.url.dropFirst("sqlite:".count)) + "-wal"
            func size() -> Int { ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0 }
            let initial = size()
            while ContinuousClock.now < deadline, process.isRunning {
                if size() > initial + (4 << 20) { return true }
                try await Task.sleep(for: .milliseconds(2))
            }
        }
        return false
    }

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func twoSyncsStartedAtOnceTakeTurns(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let folders = try (0..<2).map { _ in try SyncProcess.folder() }
            defer { for folder in folders { try? FileManager.default.removeItem(at: folder) } }
            for folder in folders {
                try SyncProcess.configure(folder, database: database.url, fake: "{seed: 3, releases: 1, models: 120, variables: 100}",
                                          lockTimeout: "120s")
            }
            let syncs = try folders.map { try SyncProcess.start($0) }
            var results: [SyncProcess.Result] = []
            for sync in syncs { results.append(await sync.finish()) }
            #expect(results.map(\.code) == [0, 0], "\(results.map(\.stderr))")

            // The second run saw the first one's commit: it found the source unchanged.
            let runs = try await database.store.runs(limit: 10).reversed().map { $0 }
            try #require(runs.count == 2)
            #expect(runs[1].id == runs[0].id.map { $0 + 1 })
            #expect(runs[0].status == .applied && runs[0].modelsAdded == 120 && runs[0].modelsRemoved == 0)
            #expect(runs[1].status == .unchanged && runs[1].modelsAdded == 0 && runs[1].modelsChanged == 0)
            let roots = try await database.store.rootModels(release: Self.release)
            #expect(roots.count == 120 && Set(roots.values.map(\.source)) == ["fake"])
            #expect(try await database.store.installedSources()["fake"]?.version == 1)
        }
    }

    @Test(.enabled(if: SyncProcess.executableExists, SyncProcess.missing), arguments: StoreFixture.allCases)
    func aSyncThatFindsTheLockHeldTooLongExits3(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let slow = try SyncProcess.folder(), quick = try SyncProcess.folder()
            defer { for folder in [slow, quick] { try? FileManager.default.removeItem(at: folder) } }
            try SyncProcess.configure(slow, database: database.url, fake: "{seed: 4, releases: 1, models: 250, variables: 300}")
            try SyncProcess.configure(quick, database: database.url, fake: "{seed: 4, releases: 1, models: 250, variables: 300}",
                                      lockTimeout: "1s")
            let first = try SyncProcess.start(slow)

            // Wait until the first run holds the lock: taking it ourselves then fails.
            let other = try database.reopen()
            var held = false
            while !held, first.isRunning {
                do {
                    try await other.withRunLock(timeout: .zero) {}
                    try await Task.sleep(for: .milliseconds(5))
                } catch StoreError.locked {
                    held = true
                }
            }
            try #require(held, "the first sync ended before it was seen holding the lock")
            let second = try await SyncProcess.start(quick).finish()
            #expect(second.code == 3 && second.stderr.contains("lock"), "\(second.code): \(second.stderr)")
            let firstResult = await first.finish()
            #expect(firstResult.code == 0, "\(firstResult.stderr)")
            let runs = try await database.store.runs(limit: 10)
            #expect(runs.count == 1 && runs.first?.modelsAdded == 250)
        }
    }
}

/// A `zephir-models sync` in a process of its own, with a configuration in a scratch folder.
final class SyncProcess: @unchecked Sendable {
    struct Result: Sendable {
        var code: Int32
        var signal: Int32?
        var stderr: String
    }

    /// The executable `swift test` builds beside the test bundle, or under `.build/debug`.
    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("zephir-models")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/zephir-models")
    }()

    static let executableExists = FileManager.default.isExecutableFile(atPath: executable.path)
    static let missing: Comment = "the zephir-models executable is not built; run `swift build` first"

    private let process: Process
    private let errors: URL

    private init(process: Process, errors: URL) {
        self.process = process
        self.errors = errors
    }

    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zm-sync-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Writes `config.yml`: the database and one `fake` source with these options.
    static func configure(_ folder: URL, database: String, fake: String, lockTimeout: String = "60s") throws {
        let text = """
            database: "\(database)"
            cache: cache
            lock_timeout: \(lockTimeout)
            sources:
              - name: fake
                kind: fake
                priority: 10
                fake: \(fake)
                signature: {policy: off}

            """
        try Data(text.utf8).write(to: folder.appendingPathComponent("config.yml"))
    }

    static func start(_ folder: URL) throws -> SyncProcess {
        let process = Process()
        process.executableURL = executable
        process.arguments = ["sync", "--config", "config.yml"]
        process.currentDirectoryURL = folder
        let errors = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errors.path, contents: nil)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        return SyncProcess(process: process, errors: errors)
    }

    var isRunning: Bool { process.isRunning }

    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
    }

    /// Waits for the process to end.
    func finish() async -> Result {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
        let stderr = (try? String(contentsOf: errors, encoding: .utf8)) ?? ""
        if process.terminationReason == .uncaughtSignal {
            return Result(code: -1, signal: process.terminationStatus, stderr: stderr)
        }
        return Result(code: process.terminationStatus, signal: nil, stderr: stderr)
    }
}
