import NIOHTTP1

/// What `daemon --metrics-listen` answers: `/metrics` in Prometheus' text format and `/healthz`.
public struct MonitoringRoutes: Sendable {
    /// One answer: status, content type and body.
    public struct Response: Sendable, Equatable {
        public var status: HTTPResponseStatus
        public var contentType: String
        public var body: String
    }

    /// Prometheus' text exposition format, version 0.0.4.
    public static let metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

    public let metrics: @Sendable () -> String
    /// `nil` when healthy, else why not.
    public let unhealthy: @Sendable () -> String?

    public init(metrics: @escaping @Sendable () -> String, unhealthy: @escaping @Sendable () -> String?) {
        self.metrics = metrics
        self.unhealthy = unhealthy
    }

    /// The answer to `method` on `uri` (its query string ignored).
    public func respond(method: HTTPMethod, uri: String) -> Response {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard method == .GET || method == .HEAD else {
            return Response(status: .methodNotAllowed, contentType: "text/plain; charset=utf-8", body: "only GET and HEAD are served\n")
        }
        switch path {
        case "/metrics":
            return Response(status: .ok, contentType: Self.metricsContentType, body: metrics())
        case "/healthz":
            if let reason = unhealthy() { return Response(status: .serviceUnavailable, contentType: "text/plain; charset=utf-8", body: reason + "\n") }
            return Response(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok\n")
        default:
            return Response(status: .notFound, contentType: "text/plain; charset=utf-8", body: "\(path) is not served; try /metrics or /healthz\n")
        }
    }
}
