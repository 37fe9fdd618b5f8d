import Foundation
import Testing

/// A PostgreSQL server of one test's own, for the tests that stop it: a cluster made by
/// `initdb` in a temporary folder, listening on 127.0.0.1 and a free port, trusting local
/// connections of the user `zm`, run by the `postgres` user when the tests run as root (the
/// server refuses root), as `.ci/run` starts the session's. ``remove()`` stops it and deletes it.
public final class ThrowawayPostgres: @unchecked Sendable {
    /// A server command that failed, with its output and the end of the server's log.
    public struct Failed: Error, CustomStringConvertible { public var description: String }

    public let folder: URL
    public let port: Int
    /// The folder of `initdb`, `pg_ctl` and `postgres`.
    let bin: URL
    /// `runuser -u postgres --` when running as root, else nothing.
    private let runAs: [String]

    /// The URL of the database `postgres` as the user `zm`.
    public var url: String { "postgres://zm@127.0.0.1:\(port)/postgres?sslmode=disable" }
    private var data: URL { folder.appendingPathComponent("data") }
    private var log: URL { folder.appendingPathComponent("server.log") }

    /// The newest `/usr/lib/postgresql/VERSION/bin` holding `initdb`, as Debian installs it.
    static let binaries: URL? = {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
        return versions.compactMap(Int.init).sorted().reversed()
            .map { root.appendingPathComponent("\($0)/bin") }
            .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
    }()

    static let missing: Comment = """
        this case starts and stops a PostgreSQL server of its own and no server binaries were found under \
        /usr/lib/postgresql/*/bin; install Debian's postgresql package (.ci/run does)
        """

    private init(bin: URL) throws {
        self.bin = bin
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("zm-pg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        port = freePort()
        if geteuid() == 0 {
            let user = getpwnam("postgres") != nil ? "postgres" : "nobody"
            runAs = ["/usr/sbin/runuser", "-u", user, "--"]
            // The folder of the cluster (and of its socket) belongs to the user running the server.
            guard let entry = getpwnam(user), chown(folder.path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw Failed(description: "cannot give \(folder.path) to \(user)")
            }
        } else {
            runAs = []
        }
    }

    /// Makes a cluster and starts it.
    /// - Throws: a test cancellation saying what to install when there are no server binaries.
    public static func start() async throws -> ThrowawayPostgres {
        guard let bin = binaries else { try Test.cancel(missing) }
        let cluster = try ThrowawayPostgres(bin: bin)
        do {
            try await cluster.command("initdb", ["-D", cluster.data.path, "-U", "zm", "--auth=trust", "-E", "UTF8", "--no-locale"])
            try await cluster.start()
        } catch {
            await cluster.remove()
            throw error
        }
        return cluster
    }

    /// Runs `body` with a cluster of its own, removed afterwards whatever happens.
    public static func with(_ body: (ThrowawayPostgres) async throws -> Void) async throws {
        let cluster = try await start()
        do {
            try await body(cluster)
        } catch {
            await cluster.remove()
            throw error
        }
        await cluster.remove()
    }

    /// Starts the server (again, after ``stopImmediately()``: it recovers from its write-ahead log first).
    public func start() async throws {
        try await command("pg_ctl", ["-D", data.path, "-l", log.path, "-w", "-t", "120",
                                     "-o", "-c listen_addresses=127.0.0.1 -p \(port) -k \(folder.path)", "start"])
    }

    /// `pg_ctl stop -m immediate`: every server process ends at once, as in a power cut, without
    /// a checkpoint; the next start runs crash recovery.
    public func stopImmediately() async throws {
        try await command("pg_ctl", ["-D", data.path, "-m", "immediate", "-w", "stop"])
    }

    /// Stops the server if it runs and deletes its folder.
    public func remove() async {
        if FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) {
            try? await stopImmediately()
        }
        try? FileManager.default.removeItem(at: folder)
    }

    /// The server's log, for messages.
    public var serverLog: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Runs a server program (as the server's user when root) and waits for it, its output
    /// appended to `commands.log`. Spawned with every descriptor above 2 closed: the server that
    /// `pg_ctl start` leaves running would otherwise hold the descriptors through which
    /// Foundation's `Process` learns that a child ended, and waiting for any later child would hang.
    private func command(_ name: String, _ arguments: [String]) async throws {
        let argv = runAs + [bin.appendingPathComponent(name).path] + arguments
        let output = folder.appendingPathComponent("commands.log").path
        let folder = self.folder.path
        let status: Int32 = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Self.spawnAndWait(argv, output: output, in: folder)) }.start()
        }
        guard status == 0 else {
            let log = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw Failed(description: "\(name) \(arguments.joined(separator: " ")) ended with status \(status): \(log.suffix(2000))\n\(serverLog.suffix(2000))")
        }
    }

    /// `posix_spawn` and `waitpid`, blocking: the exit status, or 128 + the signal, or -1 when it could not start.
    private static func spawnAndWait(_ argv: [String], output: String, in folder: String) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        addCloseFrom(&actions, 3)
        addChdir(&actions, folder)
        let cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+) and `…_addchdir_np` (2.29+),
/// which the Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addclosefrom_np")
private func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
