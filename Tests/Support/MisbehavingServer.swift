import Foundation

/// An HTTP server on 127.0.0.1 that serves a bundle folder and misbehaves on demand
/// (Python's standard library only, on raw sockets so that every fault is exact).
///
/// The first path segment chooses the behaviour and which files it applies to:
/// `/MODE~WHICH/index.json`, `/MODE~WHICH/tree/…`, WHICH being `index`, `tree` or `any`; other
/// files are served normally. Modes: see ``Mode``.
public final class MisbehavingServer: @unchecked Sendable {
    /// How the server answers (see each case).
    public enum Mode: String, CaseIterable, Sendable {
        case ok
        /// Half the body, then a TCP reset.
        case reset
        /// Half the body of a declared length, then a clean close.
        case truncate
        /// Half the body, no length declared, then a clean close.
        case truncateUnframed = "truncate-unframed"
        /// One byte every 200 ms.
        case drip
        /// Accepts, reads the request, never answers.
        case stall
        /// A chunked body that never ends.
        case endless
        /// A declared length of a terabyte, and bytes until the client leaves.
        case endlessDeclared = "endless-declared"
        case notFound = "status-404"
        case serverError = "status-500"
        case unavailable = "status-503"
        /// A redirect to itself.
        case loop
        /// Redirects between two URLs.
        case pingPong = "pingpong"
        /// A redirect to the same file over https:.
        case toHTTPS = "to-https"
        /// A redirect to a file: URL.
        case toFile = "to-file"
        /// One redirect to the same file, served normally.
        case redirectOnce = "redirect-once"
        /// Content-Length half the body; the whole body is sent.
        case lengthShort = "length-short"
        /// Content-Length twice the body; the body is sent, then the connection is closed.
        case lengthLong = "length-long"
        /// Not HTTP at all.
        case garbage
        /// The first request for each file: the connection closed without an answer (as a
        /// kept-alive connection the server dropped); the next ones are answered.
        case closeFirst = "close-first"
    }

    public let root: URL
    private let server: LocalServer
    public var port: Int { server.port }

    /// Starts serving `root` (a bundle folder: `index.json`, `tree/…`).
    /// - Throws: ``LocalServer/DidNotStart`` when Python does not start it.
    public init(serving root: URL) throws {
        self.root = root
        server = try LocalServer(script: Self.script, named: "misbehaving-server", in: root.deletingLastPathComponent(), arguments: [root.path])
    }

    /// The base URL of a source served in `mode`, applied to `which` files (`index`, `tree` or `any`).
    public func url(_ mode: Mode, on which: String = "tree") -> String { "http://127.0.0.1:\(port)/\(mode.rawValue)~\(which)/" }

    /// Ends the server.
    public func stop() { server.stop() }

    static let script = #"""
import os, socket, socketserver, struct, sys, threading, time, urllib.parse

PORT_FILE = sys.argv[1]
ROOT = os.path.realpath(sys.argv[2])

def send_all(sock, data):
    try:
        sock.sendall(data)
        return True
    except OSError:
        return False

def head(status, headers):
    reasons = {200: "OK", 301: "Moved Permanently", 302: "Found", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}
    lines = ["HTTP/1.1 %d %s" % (status, reasons.get(status, "Status"))] + ["%s: %s" % kv for kv in headers] + ["", ""]
    return "\r\n".join(lines).encode("latin-1")

SEEN = set()
SEEN_LOCK = threading.Lock()

class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk or len(data) > 65536:
                return
            data += chunk
        request_line = data.split(b"\r\n", 1)[0].decode("latin-1")
        try:
            method, target, _ = request_line.split(" ", 2)
        except ValueError:
            return
        path = urllib.parse.unquote(target.split("?", 1)[0])
        first, _, rest = path.lstrip("/").partition("/")
        mode, _, which = first.partition("~")
        applies = which == "any" or (which == "index" and rest == "index.json") or (which == "tree" and rest.startswith("tree/"))
        if not applies:
            mode = "ok"
        body = None
        full = os.path.realpath(os.path.join(ROOT, rest))
        if full.startswith(ROOT + os.sep) and os.path.isfile(full):
            with open(full, "rb") as f:
                body = f.read()
        close = [("Connection", "close")]
        if mode == "close-first":
            with SEEN_LOCK:
                first_time = target not in SEEN
                SEEN.add(target)
            if first_time:
                return
            mode = "ok"
        if mode == "garbage":
            send_all(s, b"HELLO THERE\r\n\r\nthis is not HTTP\r\n")
            return
        if mode.startswith("status-"):
            code = int(mode[len("status-"):])
            text = b"no\n"
            send_all(s, head(code, [("Content-Length", str(len(text)))] + close) + text)
            return
        if mode == "loop":
            send_all(s, head(302, [("Location", target), ("Content-Length", "0")] + close))
            return
        if mode in ("pingpong", "pongping"):
            other = "pongping" if mode == "pingpong" else "pingpong"
            send_all(s, head(302, [("Location", "/%s~%s/%s" % (other, which, rest)), ("Content-Length", "0")] + close))
            return
        if mode == "to-https":
            send_all(s, head(301, [("Location", "https://127.0.0.1:%d/ok~any/%s" % (self.server.server_address[1], rest)), ("Content-Length", "0")] + close))
            return
        if mode == "to-file":
            send_all(s, head(302, [("Location", "file:///etc/passwd"), ("Content-Length", "0")] + close))
            return
        if mode == "redirect-once":
            send_all(s, head(302, [("Location", "/ok~any/%s" % rest), ("Content-Length", "0")] + close))
            return
        if mode == "stall":
            time.sleep(120)
            return
        if mode == "endless":
            send_all(s, head(200, [("Transfer-Encoding", "chunked")] + close))
            chunk = b"%x\r\n" % 65536 + b"#" * 65536 + b"\r\n"
            deadline = time.time() + 120
            while time.time() < deadline and send_all(s, chunk):
                pass
            return
        if mode == "endless-declared":
            send_all(s, head(200, [("Content-Length", str(10 ** 12))] + close))
            block = b"#" * 65536
            deadline = time.time() + 120
            while time.time() < deadline and send_all(s, block):
                pass
            return
        if body is None:
            text = b"not found\n"
            send_all(s, head(404, [("Content-Length", str(len(text)))] + close) + text)
            return
        if mode == "reset":
            send_all(s, head(200, [("Content-Length", str(len(body)))] + close) + body[: len(body) // 2])
            time.sleep(0.2)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
            return
        if mode == "truncate":
            send_all(s, head(200, [("Content-Length", str(len(body)))] + close) + body[: len(body) // 2])
            s.shutdown(socket.SHUT_RDWR)
            return
        if mode == "truncate-unframed":
            send_all(s, head(200, close) + body[: len(body) // 2])
            s.shutdown(socket.SHUT_RDWR)
            return
        if mode == "drip":
            if not send_all(s, head(200, [("Content-Length", str(len(body)))] + close)):
                return
            for i in range(len(body)):
                time.sleep(0.2)
                if not send_all(s, body[i:i + 1]):
                    return
            return
        if mode == "length-short":
            send_all(s, head(200, [("Content-Length", str(len(body) // 2))] + close) + body)
            return
        if mode == "length-long":
            send_all(s, head(200, [("Content-Length", str(len(body) * 2))] + close) + body)
            s.shutdown(socket.SHUT_RDWR)
            return
        send_all(s, head(200, [("Content-Length", str(len(body)))] + close) + body)

class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    # Parallel tests share the server: with the default backlog of 5, a loaded machine dropped
    # connection attempts, and a client's retransmitted SYN took seconds.
    request_queue_size = 128

def watch_parent(parent):
    # Exit with the test runner, even when it dies without stopping us.
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)

threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
server = Server(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write("%d\n" % server.server_address[1])
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
"""#
}
