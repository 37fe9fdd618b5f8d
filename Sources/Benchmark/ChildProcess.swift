import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program as an operator would and measures it: wall time from spawn to exit, and the
/// child's peak resident set (`ru_maxrss` from `wait4`, so the benchmark's own memory never counts).
struct ChildProcess {
    struct Outcome {
        var status: Int32
        var seconds: Double
        /// Peak resident set of the child, in bytes (`ru_maxrss`: the code pages of the program
        /// and its libraries included).
        var peakRSS: Int
        /// Peak anonymous resident memory (heap, stacks), sampled from `/proc/PID/status` every
        /// millisecond by another thread: what the run's data costs, without the program's code.
        var peakAnon: Int = 0
        var stdout: String
        var stderr: String
    }

    struct Failure: Error, CustomStringConvertible {
        var command: [String]
        var outcome: Outcome
        var description: String {
            "\(command.joined(separator: " ")) exited with \(outcome.status)\nstdout: \(outcome.stdout.prefix(2000))\nstderr: \(outcome.stderr.prefix(2000))"
        }
    }

    /// Runs `arguments[0]` (a path, or a name looked up in PATH) in `directory`, its standard
    /// input read from the file `input` if given.
    /// - Throws: ``Failure`` when `check` and the exit status is not in `accept`.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, input: String? = nil, check: Bool = true, accept: Set<Int32> = [0]) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("zm-bench-\(getpid())-\(UUID().uuidString)")
        let outPath = scratch.path + ".out", errPath = scratch.path + ".err"
        defer { unlink(outPath); unlink(errPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let input { posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        addChdir(&actions, directory.path)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(command: arguments, outcome: Outcome(status: -1, seconds: 0, peakRSS: 0, peakAnon: 0, stdout: "",
                                                                stderr: "spawn failed: \(String(cString: strerror(spawned)))"))
        }
        let sampler = AnonSampler(pid: pid)
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let peakAnon = sampler.stop()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let outcome = Outcome(status: exit, seconds: seconds, peakRSS: Int(usage.ru_maxrss) * 1024, peakAnon: peakAnon,
                              stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                              stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        if check && !accept.contains(exit) { throw Failure(command: arguments, outcome: outcome) }
        return outcome
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which the Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

/// Samples a process's `RssAnon` on a thread of its own until stopped.
final class AnonSampler: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var peak = 0
    private let done = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        Thread.detachNewThread { [self] in
            while lock.withLock({ running }) {
                let anon = Self.anonymousResident(pid)
                lock.withLock { peak = max(peak, anon) }
                usleep(1000)
            }
            done.signal()
        }
    }

    /// Stops sampling; the peak seen.
    func stop() -> Int {
        lock.withLock { running = false }
        done.wait()
        return lock.withLock { peak }
    }

    /// `RssAnon` of a running process, in bytes (0 once it is gone).
    static func anonymousResident(_ pid: pid_t) -> Int {
        let fd = open("/proc/\(pid)/status", O_RDONLY)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return 0 }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("RssAnon:") }),
              let kb = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") else { return 0 }
        return kb * 1024
    }
}
