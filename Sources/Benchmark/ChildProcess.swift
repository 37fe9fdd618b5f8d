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
        /// Peak resident set of the child, in bytes.
        var peakRSS: Int
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

    /// Runs `arguments[0]` (a path, or a name looked up in PATH) in `directory`.
    /// - Throws: ``Failure`` when `check` and the exit status is not in `accept`.
    @discardableResult
    static func run(_ arguments: [String], in directory: URL, check: Bool = true, accept: Set<Int32> = [0]) throws -> Outcome {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("zm-bench-\(getpid())-\(UUID().uuidString)")
        let outPath = scratch.path + ".out", errPath = scratch.path + ".err"
        defer { unlink(outPath); unlink(errPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        addChdir(&actions, directory.path)

        let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let start = DispatchTime.now().uptimeNanoseconds
        let spawned = posix_spawnp(&pid, arguments[0], &actions, nil, argv, environ)
        guard spawned == 0 else {
            throw Failure(command: arguments, outcome: Outcome(status: -1, seconds: 0, peakRSS: 0, stdout: "",
                                                                stderr: "spawn failed: \(String(cString: strerror(spawned)))"))
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let outcome = Outcome(status: exit, seconds: seconds, peakRSS: Int(usage.ru_maxrss) * 1024,
                              stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
                              stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
        if check && !accept.contains(exit) { throw Failure(command: arguments, outcome: outcome) }
        return outcome
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which the Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
