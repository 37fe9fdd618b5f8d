/// The metrics of SPEC §9: their names and the HELP text each carries in Prometheus' format.
public enum MetricCatalog {
    public static let syncRuns = "zephir_models_sync_runs_total"
    public static let syncDuration = "zephir_models_sync_duration_seconds"
    public static let installedVersion = "zephir_models_source_installed_version"
    public static let expiry = "zephir_models_source_expiry_timestamp_seconds"
    public static let lastSuccess = "zephir_models_source_last_success_timestamp_seconds"
    public static let conflictsOpen = "zephir_models_conflicts_open"
    public static let models = "zephir_models_models"

    /// HELP text by metric name.
    public static let help: [String: String] = [
        syncRuns: "Sync runs by this process, by status (applied, unchanged, failed, error: the run could not start or commit).",
        syncDuration: "Duration of the sync runs of this process, in seconds.",
        installedVersion: "Version of the index installed for the source.",
        expiry: "Unix time at which the source's installed index expires; after it, no update of the source is accepted.",
        lastSuccess: "Unix time of the source's last successful fetch (updated or unchanged) or installation.",
        conflictsOpen: "Open conflicts of the latest run, by severity.",
        models: "Server models in force, by origin (root from a source, local child).",
    ]

    /// Bucket bounds of the run duration histogram: from a no-op run to a long first sync.
    public static let durationBuckets: [Duration] = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800].map { .milliseconds(Int64($0 * 1000)) }
}
