import Foundation
import NIOHTTP1
import Testing
@testable import ZephirOperations

/// `/metrics`, `/healthz` and the daemon's health rule.
@Suite struct MonitoringRoutesTests {
    @Test func routesAnswerMetricsHealthAndNothingElse() {
        let unhealthy = LockedReason()
        let routes = MonitoringRoutes(metrics: { "# TYPE x gauge\nx 1\n" }, unhealthy: { unhealthy.value })
        let metrics = routes.respond(method: .GET, uri: "/metrics?x=1")
        #expect(metrics == .init(status: .ok, contentType: "text/plain; version=0.0.4; charset=utf-8", body: "# TYPE x gauge\nx 1\n"))
        #expect(routes.respond(method: .GET, uri: "/healthz") == .init(status: .ok, contentType: "text/plain; charset=utf-8", body: "ok\n"))
        unhealthy.value = "the sync loop has stopped"
        #expect(routes.respond(method: .GET, uri: "/healthz").status == .serviceUnavailable)
        #expect(routes.respond(method: .GET, uri: "/healthz").body == "the sync loop has stopped\n")
        #expect(routes.respond(method: .GET, uri: "/").status == .notFound)
        #expect(routes.respond(method: .POST, uri: "/metrics").status == .methodNotAllowed)
    }

    @Test func healthyUntilTwoPeriodsPassWithoutAnIterationOrTheLoopStops() {
        let start = ContinuousClock.now
        let health = DaemonHealth(period: .seconds(10), now: start)
        #expect(health.unhealthy(at: start + .seconds(19)) == nil, "the start counts as the last end")
        #expect(health.unhealthy(at: start + .seconds(20)) == "the last sync iteration ended 20 s ago, more than two periods (20 s)")
        health.iterationEnded(at: start + .seconds(15))
        #expect(health.unhealthy(at: start + .seconds(34)) == nil)
        #expect(health.unhealthy(at: start + .seconds(36)) != nil)
        health.stopped()
        #expect(health.unhealthy(at: start + .seconds(16)) == "the sync loop has stopped")
    }

    @Test(arguments: [("127.0.0.1:9464", "127.0.0.1", 9464), ("[::1]:9464", "::1", 9464), ("0.0.0.0:0", "0.0.0.0", 0), ("localhost:80", "localhost", 80)])
    func listenAddressesParse(text: String, host: String, port: Int) {
        #expect(ListenAddress(text) == ListenAddress(host: host, port: port))
        #expect(ListenAddress(text)?.description == text)
    }

    @Test(arguments: ["9464", "127.0.0.1", "127.0.0.1:65536", ":9464", "::1:9464", "127.0.0.1:x"])
    func badListenAddressesAreRefused(text: String) {
        #expect(ListenAddress(text) == nil)
    }
}

/// A reason a test changes while the routes read it.
final class LockedReason: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: String?
    var value: String? {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}
