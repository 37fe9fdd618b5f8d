import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// One started process, its output going to files (so that a chatty child never blocks on a
/// pipe): the `zephir-models` executable run as an operator would, or any other program.
///
/// Start it, then ``wait(limit:sourceLocation:)`` from an async test (polling, without blocking
/// a thread of the shared pool) or ``waitUntilExit()`` from a synchronous one; ``kill()`` sends
/// SIGKILL at any moment.
public final class ChildProcess: @unchecked Sendable {
    /// How the process ended, with what it wrote.
    public struct Result: Sendable {
        /// The exit status, or the signal's number when ``killed``.
        public var code: Int32
        /// Whether it ended by a signal (SIGKILL from a test).
        public var killed: Bool
        public var stdout: String
        public var stderr: String
        /// From the start to the end, in seconds.
        public var seconds: Double
    }

    public let process = Process()
    private let out: URL
    private let err: URL
    private let start = ContinuousClock.now

    /// Starts `executable` in `directory`, with `environment` added to the test's own.
    ///
    /// The output files are written in `directory` and removed once the result is read.
    /// - Throws: when the process cannot start (an executable being relinked by a concurrent
    ///   build, `ETXTBSY`, is retried for ten seconds first).
    public init(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws {
        out = directory.appendingPathComponent(".out-\(UUID().uuidString)")
        err = directory.appendingPathComponent(".err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        for attempt in 1...100 {
            do {
                try process.run()
                return
            } catch let error as NSError where attempt < 100 && (error.userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ETXTBSY) {
                usleep(100_000)
            }
        }
    }

    /// Starts the built `zephir-models` with `arguments` in `directory`.
    public static func zephir(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> ChildProcess {
        try ChildProcess(ZephirExecutable.url, arguments, in: directory, environment: environment)
    }

    public var isRunning: Bool { process.isRunning }
    /// Seconds since the start.
    public var elapsed: Double { Self.seconds(ContinuousClock.now - start) }

    /// SIGKILL; returns whether the process was still running to receive it.
    @discardableResult
    public func kill() -> Bool {
        guard process.isRunning else { return false }
        return Glibc.kill(process.processIdentifier, SIGKILL) == 0
    }

    /// Waits for the end (killing the process after `limit` seconds, which records an issue),
    /// polling without blocking a thread of the shared pool.
    public func wait(limit: Double = 300, sourceLocation: SourceLocation = #_sourceLocation) async -> Result {
        while process.isRunning {
            if elapsed > limit {
                Issue.record("\(process.arguments ?? []) still running after \(limit) s; killed", sourceLocation: sourceLocation)
                kill()
                break
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return collect()
    }

    /// Waits for the end, blocking the calling thread (for synchronous tests).
    public func waitUntilExit() -> Result {
        collect()
    }

    private func collect() -> Result {
        process.waitUntilExit()
        let seconds = elapsed
        defer {
            try? FileManager.default.removeItem(at: out)
            try? FileManager.default.removeItem(at: err)
        }
        return Result(code: process.terminationStatus, killed: process.terminationReason == .uncaughtSignal,
                      stdout: Self.text(out), stderr: Self.text(err), seconds: seconds)
    }

    /// A file's bytes as text (invalid UTF-8 replaced, never dropped).
    private static func text(_ url: URL) -> String { String(decoding: (try? Data(contentsOf: url)) ?? Data(), as: UTF8.self) }

    /// A duration in seconds.
    public static func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
}
