import Foundation
import ZephirCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exclusive run lock of one database: `flock(2)` on `<database>.lock`, across processes,
/// plus a guard inside this process so that two tasks (or two stores on the same file) serialize.
///
/// Each attempt opens the lock file anew, so that two holders in one process conflict too
/// (`flock` locks belong to an open file description).
struct RunLock: Sendable {
    /// The database the lock protects, named in errors.
    let database: String
    let lockPath: String

    init(database: String) {
        self.database = database
        self.lockPath = database + ".lock"
    }

    /// Runs `body` holding the lock, polling every 50 ms until `timeout`.
    /// - Throws: ``StoreError/locked(_:)`` when the lock stays held for `timeout`;
    ///   ``StoreError/unreachable(_:)`` when the lock file cannot be opened.
    func withLock<T: Sendable>(timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            if let fd = try tryAcquire() {
                defer { release(fd) }
                return try await body()
            }
            if clock.now >= deadline { throw StoreError.locked(database) }
            try await Task.sleep(for: min(.milliseconds(50), deadline - clock.now))
        }
    }

    /// The open, locked file descriptor, or `nil` when someone else holds the lock.
    private func tryAcquire() throws -> Int32? {
        guard ProcessLocks.shared.claim(lockPath) else { return nil }
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            ProcessLocks.shared.free(lockPath)
            throw StoreError.unreachable("\(lockPath): cannot open the run lock: \(reason); check the path and permissions")
        }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 { return fd }
        let code = errno
        close(fd)
        ProcessLocks.shared.free(lockPath)
        if code == EWOULDBLOCK || code == EINTR { return nil }
        throw StoreError.unreachable("\(lockPath): cannot take the run lock: \(String(cString: strerror(code)))")
    }

    private func release(_ fd: Int32) {
        _ = flock(fd, LOCK_UN)
        close(fd)
        ProcessLocks.shared.free(lockPath)
    }
}

/// The lock files this process holds, so that tasks of one process wait for each other.
private final class ProcessLocks: @unchecked Sendable {
    static let shared = ProcessLocks()

    private let mutex = NSLock()
    private var held: Set<String> = []

    func claim(_ path: String) -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        return held.insert(path).inserted
    }

    func free(_ path: String) {
        mutex.lock()
        defer { mutex.unlock() }
        held.remove(path)
    }
}
