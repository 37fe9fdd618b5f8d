import Metrics
import NIOConcurrencyHelpers
import ZephirCore

/// The metrics of SPEC §9, recorded through swift-metrics into a ``PrometheusExporter``.
///
/// Runs are counted and timed as they end (``recordRun(status:duration:)``); the gauges about
/// the database are set from a ``MonitoringSnapshot`` (``update(_:)``), and a source that
/// disappears from the configuration loses its series.
public final class SyncMetrics: Sendable {
    /// The `status` label of a run that threw before it could record itself (lock held, database unreachable).
    public static let errorStatus = "error"

    public let exporter: PrometheusExporter
    private let sourceGauges = NIOLockedValueBox<[String: Gauge]>([:])

    /// Registers every family at once, so that a scrape before the first run sees them (at zero).
    public init(exporter: PrometheusExporter = PrometheusExporter()) {
        self.exporter = exporter
        for status in [RunRecord.Status.applied.rawValue, RunRecord.Status.unchanged.rawValue, RunRecord.Status.failed.rawValue, Self.errorStatus] {
            _ = Counter(label: MetricCatalog.syncRuns, dimensions: [("status", status)], factory: exporter)
        }
        _ = Metrics.Timer(label: MetricCatalog.syncDuration, dimensions: [], factory: exporter)
    }

    /// Counts one run by status (a ``RunRecord/Status`` raw value, or ``errorStatus``) and records its duration.
    public func recordRun(status: String, duration: Duration) {
        Counter(label: MetricCatalog.syncRuns, dimensions: [("status", status)], factory: exporter).increment()
        let (seconds, attoseconds) = duration.components
        Metrics.Timer(label: MetricCatalog.syncDuration, dimensions: [], factory: exporter)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Sets the gauges from the database's state.
    public func update(_ snapshot: MonitoringSnapshot) {
        var values: [(label: String, dimensions: [(String, String)], value: Double)] = []
        for source in snapshot.sources {
            let dimensions = [("source", source.name)]
            if let version = source.installedVersion { values.append((MetricCatalog.installedVersion, dimensions, Double(version))) }
            if let expires = source.expires { values.append((MetricCatalog.expiry, dimensions, expires.timeIntervalSince1970.rounded())) }
            if let success = source.lastSuccess { values.append((MetricCatalog.lastSuccess, dimensions, success.timeIntervalSince1970.rounded())) }
        }
        for severity in Conflict.Severity.allCases {
            values.append((MetricCatalog.conflictsOpen, [("severity", severity.rawValue)], Double(snapshot.openConflicts[severity] ?? 0)))
        }
        for origin in ModelSummary.Origin.allCases {
            values.append((MetricCatalog.models, [("origin", origin.rawValue)], Double(snapshot.models[origin] ?? 0)))
        }
        sourceGauges.withLockedValue { gauges in
            var kept: [String: Gauge] = [:]
            for value in values {
                let key = value.label + "|" + value.dimensions.map { "\($0.0)=\($0.1)" }.joined(separator: ",")
                let gauge = gauges[key] ?? Gauge(label: value.label, dimensions: value.dimensions, factory: exporter)
                gauge.record(value.value)
                kept[key] = gauge
            }
            for (key, gauge) in gauges where kept[key] == nil { gauge.destroy() }
            gauges = kept
        }
    }

    /// The metrics in Prometheus' text format.
    public func render() -> String { exporter.render() }
}
