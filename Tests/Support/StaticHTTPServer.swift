import Foundation

/// A static HTTP server on 127.0.0.1 (Python's `http.server`) serving a folder, whose request
/// log a test reads.
public final class StaticHTTPServer: @unchecked Sendable {
    private let server: LocalServer
    private let log: URL

    /// Starts serving `directory`; the log goes beside it.
    /// - Throws: ``LocalServer/DidNotStart`` when Python does not start it.
    public init(serving directory: URL) throws {
        log = directory.deletingLastPathComponent().appendingPathComponent("http-\(UUID().uuidString).log")
        server = try LocalServer(script: Self.script, named: "static-http", in: directory.deletingLastPathComponent(),
                                 arguments: [directory.path], output: log)
    }

    public var port: Int { server.port }
    /// `http://127.0.0.1:PORT`.
    public var base: String { server.base }

    /// Ends the server.
    public func stop() { server.stop() }

    /// The paths requested so far, in order.
    public func requests() -> [String] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let start = line.range(of: "\"GET ") else { return nil }
            return line[start.upperBound...].split(separator: " ").first.map(String.init)
        }
    }

    /// Logs each request on standard error as `http.server` does (`"GET /path HTTP/1.1" 200 -`).
    static let script = """
        import functools, http.server, os, sys
        port_file, directory = sys.argv[1], sys.argv[2]
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\\n" % server.server_address[1])
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """
}
