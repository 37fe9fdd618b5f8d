import Foundation

/// A webhook receiver on 127.0.0.1 that answers 500 to the first `failures` POSTs, then 200,
/// and logs every request (status, delivery header, body) as one JSON line.
public final class WebhookReceiver: @unchecked Sendable {
    private let server: LocalServer
    /// The request log: one JSON object a line.
    public let log: URL

    /// Starts a receiver whose script and log live in `directory`.
    /// - Throws: ``LocalServer/DidNotStart`` when Python does not start it.
    public init(in directory: URL, failures: Int) throws {
        log = directory.appendingPathComponent("webhook.log")
        server = try LocalServer(script: Self.script, named: "webhook", in: directory, arguments: [String(failures), log.path])
    }

    public var port: Int { server.port }

    /// Ends the receiver.
    public func stop() { server.stop() }

    /// The requests received so far: `{"status", "delivery", "body"}`.
    public var requests: [[String: Any]] {
        ((try? String(contentsOf: log, encoding: .utf8)) ?? "").split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    static let script = """
        import http.server, json, os, sys
        port_file = sys.argv[1]; failures = int(sys.argv[2]); log = open(sys.argv[3], "a")
        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                global failures
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 500 if failures > 0 else 200
                failures -= 1
                log.write(json.dumps({"status": status, "delivery": self.headers.get("X-Zephir-Models-Delivery"),
                                      "body": json.loads(body)}) + "\\n"); log.flush()
                self.send_response(status); self.send_header("Content-Length", "0"); self.end_headers()
            def log_message(self, *a): pass
        s = http.server.HTTPServer(("127.0.0.1", 0), H)
        with open(port_file + ".tmp", "w") as f:
            f.write("%d\\n" % s.server_port)
        os.rename(port_file + ".tmp", port_file)
        s.serve_forever()
        """
}
