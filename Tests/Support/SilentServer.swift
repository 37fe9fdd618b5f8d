import Foundation

/// A TCP server on 127.0.0.1 that accepts connections, reads what comes, and never answers: any
/// client of it (HTTP, a registry, an archive download) must give up at its own timeout.
public final class SilentServer: @unchecked Sendable {
    private let server: LocalServer

    /// - Throws: ``LocalServer/DidNotStart`` when Python does not start it.
    public init(in folder: URL) throws {
        server = try LocalServer(script: Self.script, named: "silent-server", in: folder)
    }

    public var port: Int { server.port }
    /// `127.0.0.1:PORT`.
    public var address: String { "127.0.0.1:\(port)" }

    public func stop() { server.stop() }

    static let script = """
        import socket, sys, threading
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen(64)
        with open(sys.argv[1] + ".tmp", "w") as f:
            f.write("%d\\n" % server.getsockname()[1])
        import os
        os.rename(sys.argv[1] + ".tmp", sys.argv[1])
        def hold(connection):
            try:
                while connection.recv(65536):
                    pass
            except OSError:
                pass
        while True:
            connection, _ = server.accept()
            threading.Thread(target=hold, args=(connection,), daemon=True).start()
        """
}
