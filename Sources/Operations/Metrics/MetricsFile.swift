import ZephirCore

/// `sync --metrics-file PATH`: the metrics of one run, for node_exporter's textfile collector.
public enum MetricsFile {
    /// Records the run (its status and duration) and the database's state, then replaces `path`
    /// atomically (temporary file + rename) with them in Prometheus' text format.
    /// - Throws: ``FileOutputError`` naming `path`; the store's errors when it cannot be read.
    public static func write(to path: String, status: String, duration: Duration, config: Config, store: any ModelStore) async throws {
        let metrics = SyncMetrics()
        metrics.recordRun(status: status, duration: duration)
        metrics.update(try await MonitoringSnapshot.build(config: config, store: store))
        try FileOutput.replaceAtomically(Array(metrics.render().utf8), at: path, mode: 0o644)
    }
}
