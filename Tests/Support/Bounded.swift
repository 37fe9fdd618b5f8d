import Foundation
import Testing

/// Runs work under a time limit and reports how much it grew the process's peak memory, so
/// that an attack test fails when a defence stops bounding either.
public enum Bounded {
    public struct LimitExceeded: Error, CustomStringConvertible {
        public var what: String
        public var seconds: Double
        public var description: String { "\(what) did not finish within \(seconds) s" }
    }

    /// The outcome of `body`, or a recorded issue and ``LimitExceeded`` when it takes longer than
    /// `seconds` (the work is then abandoned, not awaited) or grows the peak RSS by more than
    /// `memoryMB`.
    public static func run<T: Sendable>(_ what: String, seconds: Double, memoryMB: Int = 256,
                                 sourceLocation: SourceLocation = #_sourceLocation,
                                 _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let peakBefore = peakResidentMB()
        let start = ContinuousClock.now
        let result: Result<T, Error>? = await withCheckedContinuation { continuation in
            let once = Once()
            let work = Task {
                let outcome: Result<T, Error>
                do { outcome = .success(try await body()) } catch { outcome = .failure(error) }
                if once.claim() { continuation.resume(returning: outcome) }
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                if once.claim() {
                    work.cancel()
                    continuation.resume(returning: nil)
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        guard let result else {
            Issue.record("\(what): still running after \(seconds) s", sourceLocation: sourceLocation)
            throw LimitExceeded(what: what, seconds: seconds)
        }
        let grown = peakResidentMB() - peakBefore
        #expect(grown <= memoryMB, "\(what): peak memory grew by \(grown) MB (limit \(memoryMB) MB) in \(elapsed)", sourceLocation: sourceLocation)
        return try result.get()
    }

    /// The process's peak resident set size, in MB.
    public static func peakResidentMB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int(usage.ru_maxrss) / 1024
    }

    private final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var done = false
        func claim() -> Bool {
            lock.lock(); defer { lock.unlock() }
            if done { return false }
            done = true
            return true
        }
    }
}
