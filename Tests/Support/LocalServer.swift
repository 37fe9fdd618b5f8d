import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A test server in a Python process of its own, listening on 127.0.0.1 at a free port: the
/// common part of ``MisbehavingServer``, ``StaticHTTPServer`` and ``WebhookReceiver``.
///
/// The script gets its arguments after the path of a file where it writes the port it bound
/// (port 0: the kernel picks a free one) followed by a newline, once it listens. Its output
/// never goes to the test runner's pipes (a server left behind would hold `swift test` open).
public final class LocalServer: @unchecked Sendable {
    /// Why a server did not start: what it said on standard error.
    public struct DidNotStart: Error, CustomStringConvertible {
        public var script: String
        public var stderr: String
        public var description: String { "the test server \(script) did not report a port within 10 s: \(stderr.suffix(500))" }
    }

    public let port: Int
    private let process: Process

    /// Writes `script` into `folder` and runs it with `python3 -u SCRIPT PORT_FILE ARGUMENTS…`;
    /// returns once it reported its port.
    /// - Parameter output: where its standard output and error go (a request log), else discarded.
    /// - Throws: ``DidNotStart`` when no port comes within 10 s.
    public init(script: String, named name: String, in folder: URL, arguments: [String] = [], output: URL? = nil) throws {
        let id = UUID().uuidString
        let path = folder.appendingPathComponent("\(name)-\(id).py")
        let portFile = folder.appendingPathComponent("\(name)-\(id).port")
        let errors = output ?? folder.appendingPathComponent("\(name)-\(id).err")
        try Data(script.utf8).write(to: path)
        if !FileManager.default.fileExists(atPath: errors.path) { _ = FileManager.default.createFile(atPath: errors.path, contents: nil) }
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-u", path.path, portFile.path] + arguments
        let handle = try FileHandle(forWritingTo: errors)
        handle.seekToEndOfFile()
        process.standardOutput = output == nil ? FileHandle.nullDevice : handle
        process.standardError = handle
        try process.run()
        var port = 0
        for _ in 0..<400 where port == 0 {
            if let text = try? String(contentsOf: portFile, encoding: .utf8), text.hasSuffix("\n") {
                port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            }
            if port == 0 { usleep(25_000) }
        }
        self.port = port
        if port == 0 {
            stop()
            throw DidNotStart(script: name, stderr: String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self))
        }
    }

    deinit { stop() }

    /// `http://127.0.0.1:PORT`.
    public var base: String { "http://127.0.0.1:\(port)" }

    /// Ends the server (SIGKILL: a child spawned from the test runner's threads inherits their blocked SIGTERM).
    public func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}
