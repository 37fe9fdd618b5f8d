import Foundation

/// What the metrics of SPEC §9 show about the database, read through the store's queries:
/// each configured source's installed version, expiry and last success, the open conflicts by
/// severity and the models by origin.
public struct MonitoringSnapshot: Sendable, Equatable {
    /// One enabled source; `nil` fields are absent series (never installed, never succeeded).
    public struct Source: Sendable, Equatable {
        public var name: String
        public var installedVersion: Int?
        public var expires: Date?
        /// When the source last fetched successfully (`updated` or `unchanged`), or was installed.
        public var lastSuccess: Date?
    }

    public var sources: [Source]
    /// Every severity, zero included.
    public var openConflicts: [Conflict.Severity: Int]
    /// Every origin, zero included.
    public var models: [ModelSummary.Origin: Int]

    /// Reads the snapshot; `runs` bounds the history searched for each source's last success.
    public static func build(config: Config, store: any ModelStore, runs: Int = 1000) async throws -> MonitoringSnapshot {
        let report = try await StatusReport.build(config: config, store: store)
        let installed = try await store.installedSources()
        let history = try await store.runs(limit: runs)
        let sources = report.sources.filter(\.enabled).map { source -> Source in
            let succeeded = history.first { run in
                run.sources.contains { $0.source == source.name && ($0.result == .updated || $0.result == .unchanged) }
            }
            let times = [succeeded.flatMap { RFC3339.parse($0.finishedAt) }, installed[source.name].flatMap { RFC3339.parse($0.installedAt) }].compactMap { $0 }
            return Source(name: source.name, installedVersion: source.installedVersion, expires: source.expires.flatMap(RFC3339.parse), lastSuccess: times.max())
        }
        var conflicts = Dictionary(uniqueKeysWithValues: Conflict.Severity.allCases.map { ($0, 0) })
        for (severity, count) in report.openConflicts { if let severity = Conflict.Severity(rawValue: severity) { conflicts[severity] = count } }
        return MonitoringSnapshot(sources: sources, openConflicts: conflicts, models: [.root: report.rootModels, .local: report.localModels])
    }
}
