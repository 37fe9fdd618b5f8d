import Foundation
import ZephirTestSupport

/// A registry with token authentication, as Harbor or GitLab run one: a Python server in front
/// of a test ``Registry`` that answers `401` with a `Bearer` challenge, serves tokens at
/// `/token` (for basic credentials, or for an identity token with OAuth2's `refresh_token`
/// grant), requires a token of the right scope (`pull` to read, `pull,push` to write), and
/// redirects blob downloads to a "storage" server on another port that refuses any
/// `Authorization` header (credentials must not follow a redirect to another host).
///
/// Its log says, one line each: `TOKEN METHOD SCOPE ok|refused`, `CHALLENGE METHOD PATH`,
/// `OK METHOD PATH`, `STORAGE PATH`, `LEAK PATH`.
final class TokenProxy: @unchecked Sendable {
    private let server: LocalServer
    private let log: URL

    init(upstream: Registry, user: String, password: String, identityToken: String, in folder: URL) throws {
        log = folder.appendingPathComponent("token-proxy-\(UUID().uuidString).log")
        server = try LocalServer(script: Self.script, named: "token-proxy", in: folder,
                                 arguments: [String(upstream.port), user, password, identityToken], output: log)
    }

    var host: String { "127.0.0.1:\(server.port)" }
    func url(_ repository: String = "zm/eole", tag: String = "latest") -> String { "oci+http://\(host)/\(repository):\(tag)" }

    /// The log's lines so far.
    func lines() -> [String] {
        String(decoding: (try? Data(contentsOf: log)) ?? Data(), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func stop() { server.stop() }

    static let script = #"""
        import base64, http.client, http.server, json, os, sys, threading, urllib.parse
        port_file, upstream, user, password, refresh = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

        noting = threading.Lock()

        def note(line):
            # One write per line, under a lock: requests are served on several threads at once.
            with noting:
                sys.stdout.write(line + "\n")
                sys.stdout.flush()

        def actions(token, repository):
            if not token.startswith("tok|"):
                return set()
            parts = token[4:].split(":")
            if len(parts) != 3 or parts[0] != "repository" or parts[1] != repository:
                return set()
            return set(parts[2].split(","))

        class Base(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *args):
                pass
            def reply(self, status, body=b"", headers=()):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            def body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""
            def forward(self, path, body):
                connection = http.client.HTTPConnection("127.0.0.1", upstream, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("authorization", "host", "content-length", "connection")}
                headers["Host"] = proxy_host
                if self.command in ("PUT", "POST", "PATCH"):
                    headers["Content-Length"] = str(len(body))
                connection.request(self.command, path, body=body or None, headers=headers)
                response = connection.getresponse()
                data = response.read()
                self.send_response(response.status)
                length = str(len(data))
                for name, value in response.getheaders():
                    if name.lower() == "content-length":
                        if self.command == "HEAD":
                            length = value
                        continue
                    if name.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

        class Storage(Base):
            def do_GET(self):
                if self.headers.get("Authorization"):
                    note("LEAK " + self.path)
                    return self.reply(400, b"credentials sent to the storage")
                note("STORAGE " + self.path)
                self.forward(self.path, b"")

        class Proxy(Base):
            def token(self, url):
                if self.command == "POST":
                    form = urllib.parse.parse_qs(self.body().decode())
                    ok = form.get("grant_type") == ["refresh_token"] and form.get("refresh_token") == [refresh]
                    scope, key = (form.get("scope") or [""])[0], "access_token"
                else:
                    query = urllib.parse.parse_qs(url.query)
                    expected = "Basic " + base64.b64encode((user + ":" + password).encode()).decode()
                    ok = self.headers.get("Authorization") == expected and query.get("service") == ["zephir-test"]
                    scope, key = (query.get("scope") or [""])[0], "token"
                note("TOKEN %s %s %s" % (self.command, scope, "ok" if ok else "refused"))
                if not ok:
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}')
                self.reply(200, json.dumps({key: "tok|" + scope, "expires_in": 300}).encode(), [("Content-Type", "application/json")])

            def handle_any(self):
                url = urllib.parse.urlsplit(self.path)
                if url.path == "/token":
                    return self.token(url)
                body = self.body()
                parts = url.path.split("/")
                repository = ""
                for i, part in enumerate(parts):
                    if i > 2 and part in ("manifests", "blobs"):
                        repository = "/".join(parts[2:i])
                        break
                need = "pull" if self.command in ("GET", "HEAD") else "push"
                authorization = self.headers.get("Authorization") or ""
                token = authorization[len("Bearer "):] if authorization.startswith("Bearer ") else ""
                if need not in actions(token, repository):
                    note("CHALLENGE %s %s" % (self.command, url.path))
                    challenge = 'Bearer realm="http://%s/token",service="zephir-test",scope="repository:%s:%s"' % (
                        proxy_host, repository, "pull" if need == "pull" else "pull,push")
                    return self.reply(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}', [("WWW-Authenticate", challenge)])
                note("OK %s %s" % (self.command, url.path))
                if self.command == "GET" and "/blobs/sha256:" in url.path:
                    return self.reply(307, b"", [("Location", "http://127.0.0.1:%d%s" % (storage.server_address[1], url.path))])
                self.forward(self.path, body)

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

        storage = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Storage)
        threading.Thread(target=storage.serve_forever, daemon=True).start()
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
        proxy_host = "127.0.0.1:%d" % server.server_address[1]
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\n" % server.server_address[1])
        os.rename(port_file + ".tmp", port_file)
        server.serve_forever()
        """#
}
