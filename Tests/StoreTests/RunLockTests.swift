import Foundation
import SQLiteStore
import Testing
@testable import ZephirCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The run lock: one run at a time, across stores and processes, released whatever happens.
@Suite struct RunLockTests {
    @Test(arguments: StoreFixture.allCases)
    func aSecondStoreWaitsThenGivesUp(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let other = try database.reopen()
            let outcome = try await database.store.withRunLock(timeout: .seconds(1)) {
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: StoreError.self) {
                    try await other.withRunLock(timeout: .milliseconds(300)) { "acquired" }
                }
                let waited = clock.now - start
                // Bounded, not exact: shared CI machines stall threads for seconds under load.
                #expect(waited >= .milliseconds(250) && waited < .seconds(20))
                guard case .locked? = error else {
                    Issue.record("expected locked, got \(String(describing: error))")
                    return "wrong error"
                }
                return "held"
            }
            #expect(outcome == "held")
            #expect(try await other.withRunLock(timeout: .milliseconds(100)) { 42 } == 42)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func tasksOfOneStoreTakeTurns(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let inside = Counter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        // Mutual exclusion is what is checked; 60 s for a loaded CI machine, where
                        // four turns of polling took more than 10 s twice.
                        try await store.withRunLock(timeout: .seconds(60)) {
                            #expect(inside.add(1) == 1)
                            try await Task.sleep(for: .milliseconds(30))
                            inside.add(-1)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(inside.add(0) == 0)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func theLockIsReleasedWhenTheBodyThrows(_ fixture: StoreFixture) async throws {
        struct Boom: Error {}
        try await withDatabase(fixture) { database in
            await #expect(throws: Boom.self) {
                try await database.store.withRunLock(timeout: .seconds(1)) { throw Boom() }
            }
            let other = try database.reopen()
            #expect(try await other.withRunLock(timeout: .milliseconds(100)) { true })
        }
    }

    /// Another process (or another open of the lock file) holds `flock`: the store waits, then gives up.
    @Test func anotherHolderOfTheFileLockBlocksTheStore() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("zephir-models.db").path
        let store = try SQLiteStore(path: path)

        let fd = open(path + ".lock", O_RDWR | O_CREAT, 0o644)
        try #require(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let error = await #expect(throws: StoreError.self) { try await store.withRunLock(timeout: .milliseconds(200)) { 1 } }
        #expect(error?.description.contains(path) == true)
        flock(fd, LOCK_UN)
        close(fd)
        #expect(try await store.withRunLock(timeout: .milliseconds(200)) { 2 } == 2)
    }

    /// While the store holds the lock, `flock(1)` in another process cannot take it.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/flock")))
    func anotherProcessSeesTheLock() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("zephir-models.db").path
        let store = try SQLiteStore(path: path)
        @Sendable func tryFlock() throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
            process.arguments = ["--nonblock", "--conflict-exit-code", "42", path + ".lock", "true"]
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        #expect(try await store.withRunLock(timeout: .seconds(1)) { try tryFlock() } == 42)
        #expect(try tryFlock() == 0)
    }

    @Test func storeURLsAreChecked() async throws {
        for url in ["postgres://u@h/db", "sqlite:", "zephir.db"] {
            let error = #expect(throws: StoreError.self) { _ = try SQLiteStore.open(url: url) }
            guard case .unreachable(let message)? = error else { Issue.record("\(url): \(String(describing: error))"); continue }
            #expect(message.contains(url) && message.contains("sqlite:PATH"))
        }
        let error = #expect(throws: StoreError.self) { _ = try SQLiteStore.open(url: "sqlite:/proc/zephir-nope/models.db") }
        guard case .unreachable(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("/proc/zephir-nope/models.db") && message.contains("check the path and permissions"))
    }

    @Test func aFileThatIsNotADatabaseIsReported() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zephir-notdb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("junk.db").path
        try Data(repeating: 0x5a, count: 8192).write(to: URL(fileURLWithPath: path))
        #expect(throws: StoreError.self) {
            let store = try SQLiteStore.open(url: "sqlite:" + path)
            _ = store
        }
    }

    @Test func threeSlashURLsAreAbsolute() throws {
        let store = try SQLiteStore.open(url: "sqlite:///tmp/zephir-abs-\(UUID().uuidString)/m.db")
        #expect(store.path.hasPrefix("/tmp/zephir-abs-"))
        try? FileManager.default.removeItem(atPath: (store.path as NSString).deletingLastPathComponent)
    }
}

/// A thread-safe counter for the turn-taking test.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    @discardableResult
    func add(_ delta: Int) -> Int {
        lock.lock()
        defer { lock.unlock() }
        value += delta
        return value
    }
}
