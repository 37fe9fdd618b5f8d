import Logging
import ZephirCore

/// What the daemon's observer does after each iteration: count and time the run, refresh the
/// gauges from the database, and mark the loop as alive for `/healthz`.
public struct DaemonMonitoring: Sendable {
    public let metrics: SyncMetrics
    public let health: DaemonHealth
    public let logger: Logger

    public init(metrics: SyncMetrics, health: DaemonHealth, logger: Logger) {
        self.metrics = metrics
        self.health = health
        self.logger = logger
    }

    /// The routes of the daemon's HTTP server.
    public var routes: MonitoringRoutes {
        let metrics = self.metrics, health = self.health
        return MonitoringRoutes(metrics: { metrics.render() }, unhealthy: { health.unhealthy() })
    }

    /// A ``SyncDaemon/Observer``.
    public func observe(_ iteration: SyncDaemon.Iteration, engine: SyncEngine?) async {
        switch iteration {
        case .ran(let report, let duration): metrics.recordRun(status: report.status.rawValue, duration: duration)
        case .failed(_, let duration): metrics.recordRun(status: SyncMetrics.errorStatus, duration: duration)
        case .skipped, .abandoned: break
        }
        // An abandoned run wrote nothing: the gauges stay as they are, and a stopping daemon reads nothing more.
        if let engine, !Self.isAbandoned(iteration) {
            // Not cancelled with the loop: the refresh is a few reads, and a PostgreSQL read
            // cancelled in flight was seen to keep a stopping daemon from ever returning.
            let refresh = Task { try await MonitoringSnapshot.build(config: engine.config, store: engine.store) }
            do {
                metrics.update(try await refresh.value)
            } catch {
                logger.warning("metrics not refreshed from the database", metadata: ["error": "\(error)"])
            }
        }
        health.iterationEnded()
    }

    private static func isAbandoned(_ iteration: SyncDaemon.Iteration) -> Bool {
        if case .abandoned = iteration { return true } else { return false }
    }
}
