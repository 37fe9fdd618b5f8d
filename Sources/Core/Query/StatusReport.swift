import Foundation

/// `status`: each configured source with what is installed and how its last attempt went, and
/// the counts of models and open conflicts.
public struct StatusReport: Sendable, Codable {
    public struct Source: Sendable, Codable {
        public var name: String
        public var kind: String
        public var url: String?
        public var priority: Int
        public var enabled: Bool
        public var held: Bool
        public var installedVersion: Int?
        public var digest: String?
        public var expires: String?
        /// A warning when the installed index expires within ``StatusReport/expiryWarningDays`` or has expired.
        public var expiryWarning: String?
        public var lastAttempt: String?
        public var lastResult: String?
        public var lastMessage: String?
        /// For a source with a pinned root: the newest trusted root (the pinned one before the first sync).
        public var root: Root?
        /// For a source with several mirrors (SPEC §5.2): each, in the configured order, with how
        /// it fared in the last attempt (no result before the first).
        public var mirrors: [Mirror]?
    }

    /// One mirror of a source and its last result.
    public struct Mirror: Sendable, Codable {
        public var url: String
        public var lastResult: MirrorResult.Status?
        public var version: Int?
        public var reason: String?
        public var detail: String?
    }

    /// A source's newest trusted root (SPEC §5.1).
    public struct Root: Sendable, Codable {
        public var version: Int
        public var rootKeyIDs: [String]
        public var rootThreshold: Int
        public var indexKeyIDs: [String]
        public var indexThreshold: Int
        public var expires: String
        /// A warning when the root expires within ``StatusReport/rootExpiryWarningDays`` or has expired.
        public var expiryWarning: String?
    }

    /// SPEC §9: an index expiring within 30 days is a warning, here as in `status --check`.
    public static let expiryWarningDays = 30.0
    /// How long before a root expires `status` warns (SPEC §5.1).
    public static let rootExpiryWarningDays = 30.0

    public var database: String
    public var sources: [Source]
    public var rootModels: Int
    public var localModels: Int
    public var openConflicts: [String: Int]
    public var lastRun: RunRecord?

    public static func build(config: Config, store: any ModelStore, now: Date = Date()) async throws -> StatusReport {
        try await store.migrate()
        let installed = try await store.installedSources()
        let states = try await store.sourceStates()
        let roots = try await store.trustedRoots()
        let sources = config.sources.map { source -> Source in
            let layer = installed[source.name], state = states[source.name]
            var warning: String?
            if let expires = layer.flatMap({ RFC3339.parse($0.expires) }) {
                let days = expires.timeIntervalSince(now) / 86400
                if days <= 0 {
                    warning = "expired: no update is accepted until the publisher republishes"
                } else if days < expiryWarningDays {
                    warning = "expires in \(Int(days.rounded(.down))) days; the publisher must republish before then"
                }
            }
            return Source(name: source.name, kind: source.kind, url: source.url, priority: source.priority, enabled: source.enabled,
                          held: state?.held ?? false, installedVersion: layer?.version, digest: layer?.digest, expires: layer?.expires,
                          expiryWarning: warning, lastAttempt: state?.lastAttempt, lastResult: state?.lastResult, lastMessage: state?.lastMessage,
                          root: rootStatus(source, stored: roots[source.name], now: now), mirrors: mirrorStatus(source, state: state))
        }
        let models = try await store.listModels(release: nil, origin: nil)
        let conflicts = try await store.conflicts(all: false)
        return StatusReport(database: config.database, sources: sources, rootModels: models.filter { $0.origin == .root }.count,
                            localModels: models.filter { $0.origin == .local }.count,
                            openConflicts: Dictionary(grouping: conflicts, by: { $0.conflict.severity.rawValue }).mapValues(\.count),
                            lastRun: try await store.runs(limit: 1).first)
    }

    /// Each configured mirror of a source with several, with its result in the last attempt.
    static func mirrorStatus(_ source: SourceConfig, state: SourceState?) -> [Mirror]? {
        guard source.urls.count > 1 else { return nil }
        return source.urls.map { url in
            let last = state?.lastMirrors.first { $0.mirror == url }
            return Mirror(url: url, lastResult: last?.status, version: last?.version, reason: last?.reason, detail: last?.detail)
        }
    }

    /// The stored root of a source with a pinned root, else the pinned one; `nil` without a root.
    static func rootStatus(_ source: SourceConfig, stored: StoredRoot?, now: Date) -> Root? {
        guard let pinned = source.signature.root else { return nil }
        var document = pinned.document
        if let stored, stored.version >= pinned.version, let root = try? TrustedRoot(storedEnvelope: stored.envelope, file: "stored root") {
            document = root.document
        }
        var warning: String?
        if let expires = document.expiryDate {
            let days = expires.timeIntervalSince(now) / 86400
            if days <= 0 {
                warning = "root \(document.version) expired: no update is accepted until the publisher publishes a new root (`root rotate`)"
            } else if days < rootExpiryWarningDays {
                warning = "root \(document.version) expires in \(Int(days.rounded(.down))) days; the publisher must publish a new root (`root rotate`) before then"
            }
        }
        return Root(version: document.version, rootKeyIDs: document.root.keyIDs, rootThreshold: document.root.threshold,
                    indexKeyIDs: document.index.keyIDs, indexThreshold: document.index.threshold, expires: document.expires, expiryWarning: warning)
    }
}
