import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real OCI registry for tests: Debian's `docker-registry` (the CNCF distribution registry,
/// package `docker-registry`) run with a temporary configuration — filesystem storage in a
/// temporary folder, `127.0.0.1` on a free port, optionally `htpasswd` users — and its request
/// log, so that tests count the requests the registry received independently of the client.
///
/// Stopped (SIGKILL, then waited for) by ``stop()`` or when released; its folder is removed.
public final class Registry: @unchecked Sendable {
    /// Why the registry did not start: the end of its log.
    public struct DidNotStart: Error, CustomStringConvertible {
        public var reason: String
        public var log: String
        public var description: String { "the test registry did not start: \(reason); its log ends with: \(log.suffix(1500))" }
    }

    /// One request of the access log.
    public struct Request: Sendable, Equatable, CustomStringConvertible {
        public var method: String
        /// The path, without the query.
        public var path: String
        public var status: Int
        public var description: String { "\(method) \(path) \(status)" }
    }

    public static let executable = "/usr/bin/docker-registry"

    public let folder: URL
    public let port: Int
    /// Where the registry writes its log (the access log's lines among the others).
    public let log: URL
    private let process = Process()
    private var started = false

    /// Starts a registry; with `users` (name → password), it requires basic authentication
    /// (`auth: htpasswd`, bcrypt hashes); `readOnly` refuses every upload (the storage's
    /// read-only maintenance mode).
    /// - Throws: ``DidNotStart`` when `/v2/` does not answer within 20 s, or a hash cannot be made.
    public init(users: [String: String] = [:], readOnly: Bool = false) throws {
        folder = temporaryFolder("zm-registry")
        port = freePort()
        log = folder.appendingPathComponent("registry.log")
        var config = """
            version: 0.1
            log:
              level: info
              formatter: text
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: \(folder.appendingPathComponent("storage").path)
              delete:
                enabled: true
              maintenance:
                readonly:
                  enabled: \(readOnly)
            http:
              addr: 127.0.0.1:\(port)
              secret: zephir-models-tests

            """
        if !users.isEmpty {
            let file = folder.appendingPathComponent("htpasswd")
            let lines = try users.keys.sorted().map { "\($0):\(try Self.bcrypt(users[$0]!, in: folder))" }
            try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: file)
            config += """
                auth:
                  htpasswd:
                    realm: zephir-models-tests
                    path: \(file.path)

                """
        }
        let configFile = folder.appendingPathComponent("config.yml")
        try Data(config.utf8).write(to: configFile)
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["serve", configFile.path]
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        started = true
        for _ in 0..<400 {
            if Self.answers(port: port) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        let reason = process.isRunning ? "/v2/ did not answer within 20 s" : "it exited with status \(process.terminationStatus)"
        stop()
        throw DidNotStart(reason: reason, log: String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self))
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: folder)
    }

    /// `127.0.0.1:PORT`, as docker's `config.json` names the registry.
    public var host: String { "127.0.0.1:\(port)" }

    /// `oci+http://127.0.0.1:PORT/REPOSITORY:TAG`.
    public func url(_ repository: String = "zm/eole", tag: String = "latest") -> String { "oci+http://\(host)/\(repository):\(tag)" }

    /// Ends the registry (SIGKILL: a child spawned from the test runner's threads inherits their blocked SIGTERM).
    public func stop() {
        guard started else { return }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Where the registry keeps the bytes of blob `digest` (`sha256:HEX`).
    public func blobData(_ digest: String) -> URL {
        let hex = String(digest.dropFirst("sha256:".count))
        return folder.appendingPathComponent("storage/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data")
    }

    /// Every request logged so far, in order.
    public func requests() -> [Request] {
        String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).split(separator: "\n").compactMap(Self.parse)
    }

    /// How many requests are logged now: a mark for ``requests(since:)``.
    public func mark() async -> Int { await settled().count }

    /// The requests logged after `mark`, once the log stopped growing (the registry writes a
    /// request's line as it finishes answering, a moment after the client has the answer).
    public func requests(since mark: Int) async -> [Request] { Array(await settled().dropFirst(mark)) }

    private func settled() async -> [Request] {
        var last = requests()
        for _ in 0..<20 {
            try? await Task.sleep(for: .milliseconds(150))
            let now = requests()
            if now == last { return now }
            last = now
        }
        return last
    }

    /// A line of the access log (Apache's combined format): `… "GET /v2/ HTTP/1.1" 200 2 "" "curl"`.
    static func parse(_ line: Substring) -> Request? {
        guard !line.hasPrefix("time="), let open = line.firstIndex(of: "\"") else { return nil }
        let rest = line[line.index(after: open)...]
        guard let close = rest.firstIndex(of: "\"") else { return nil }
        let parts = rest[..<close].split(separator: " ")
        let after = rest[rest.index(after: close)...].split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/"), let status = after.first.flatMap({ Int($0) }) else { return nil }
        return Request(method: String(parts[0]), path: String(parts[1].prefix(while: { $0 != "?" })), status: status)
    }

    /// Whether `GET /v2/` gets an HTTP answer (200, or 401 when authentication is on).
    private static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = Array("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
        guard write(fd, request, request.count) == request.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fd, &buffer, buffer.count)
        guard n > 12 else { return false }
        let status = String(decoding: buffer[9..<12], as: UTF8.self)
        return status == "200" || status == "401"
    }

    /// A bcrypt hash (the only kind the registry's htpasswd accepts) of the lowest cost (2⁴
    /// rounds: the registry checks it on every request): `htpasswd -B` from apache2-utils when
    /// installed, else Python's `crypt` module (Debian 12's Python 3.11).
    static func bcrypt(_ password: String, in folder: URL) throws -> String {
        let process = Process()
        let output = folder.appendingPathComponent("hash-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/htpasswd") {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/htpasswd")
            process.arguments = ["-nbB", "-C", "4", "user", password]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-W", "ignore", "-c",
                                 "import crypt, sys; print(crypt.crypt(sys.argv[1], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))", password]
        }
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let hash = text.hasPrefix("user:") ? String(text.dropFirst("user:".count)) : text
        guard process.terminationStatus == 0, hash.hasPrefix("$2") else {
            throw DidNotStart(reason: "no bcrypt hash could be made (htpasswd -B or python3's crypt module)", log: text)
        }
        return hash
    }
}
