/// What a sync run did (or, for a dry run, would do): the run report of SPEC §2, printed by
/// `sync` and `plan` and given as JSON to `--json` and notification sinks.
public struct SyncReport: Sendable, Codable {
    /// One model, version, release or service written, with the source it comes from.
    public struct Change: Sendable, Codable, Hashable {
        public enum Action: String, Sendable, Codable { case add, change, remove }
        public enum Entity: String, Sendable, Codable { case version, release, service, model }

        public var action: Action
        public var entity: Entity
        /// `RELEASE/NAME` for models and services, the name for versions and releases.
        public var subject: String
        /// The source in force after the run (`nil` for removals).
        public var source: String?
        /// For removals, the source that had it.
        public var previousSource: String?
    }

    public var run: Int64?
    public var dryRun: Bool
    public var status: RunRecord.Status
    public var startedAt: String
    public var finishedAt: String
    public var sources: [SourceAttempt]
    public var changes: [Change]
    public var conflicts: [Conflict]
    /// SPEC §3: 0 done, 2 done but a source failed, 3 nothing applied.
    public var exitCode: Int32
    /// What the run did differently from usual and why, for the operator (a stored outline that
    /// could not be read, so a layer was read in full).
    public var notes: [String] = []

    public var modelsAdded: Int { changes.filter { $0.entity == .model && $0.action == .add }.count }
    public var modelsChanged: Int { changes.filter { $0.entity == .model && $0.action == .change }.count }
    public var modelsRemoved: Int { changes.filter { $0.entity == .model && $0.action == .remove }.count }
}

extension SyncReport {
    /// The report's list of changes for a change set applied over `current`, sorted by entity and subject.
    static func changes(_ set: ChangeSet, current: CurrentState) -> [Change] {
        var changes: [Change] = []
        func sourceOf(_ stamp: String?) -> String? { stamp.map { String($0.prefix { $0 != ":" }) } }
        for v in set.upsertVersions {
            changes.append(Change(action: current.versions[v.value.name] == nil ? .add : .change, entity: .version, subject: v.value.name,
                                  source: v.source, previousSource: sourceOf(current.versions[v.value.name])))
        }
        for name in set.deleteVersions {
            changes.append(Change(action: .remove, entity: .version, subject: name, source: nil, previousSource: sourceOf(current.versions[name])))
        }
        for r in set.upsertReleases {
            changes.append(Change(action: current.releases[r.value.name] == nil ? .add : .change, entity: .release, subject: r.value.name,
                                  source: r.source, previousSource: sourceOf(current.releases[r.value.name])))
        }
        for name in set.deleteReleases {
            changes.append(Change(action: .remove, entity: .release, subject: name, source: nil, previousSource: sourceOf(current.releases[name])))
        }
        for (key, s) in set.upsertServices {
            changes.append(Change(action: current.services[key] == nil ? .add : .change, entity: .service, subject: key.description,
                                  source: s.source, previousSource: sourceOf(current.services[key])))
        }
        for key in set.deleteServices {
            changes.append(Change(action: .remove, entity: .service, subject: key.description, source: nil, previousSource: sourceOf(current.services[key])))
        }
        for (key, m) in set.addModels {
            changes.append(Change(action: .add, entity: .model, subject: key.description, source: m.source, previousSource: nil))
        }
        for (key, m) in set.changeModels {
            changes.append(Change(action: .change, entity: .model, subject: key.description, source: m.source, previousSource: sourceOf(current.models[key])))
        }
        for key in set.removeModels {
            changes.append(Change(action: .remove, entity: .model, subject: key.description, source: nil, previousSource: sourceOf(current.models[key])))
        }
        let order: [Change.Entity: Int] = [.version: 0, .release: 1, .service: 2, .model: 3]
        return changes.sorted { (order[$0.entity]!, $0.subject) < (order[$1.entity]!, $1.subject) }
    }
}

extension RunRecord {
    /// The record of a run that `report` describes (a sync or a rollback), with the fingerprint
    /// of what its resolution was computed from.
    public init(_ report: SyncReport, resolution: String?) {
        self.init(startedAt: report.startedAt, finishedAt: report.finishedAt, status: report.status, sources: report.sources,
                  modelsAdded: report.modelsAdded, modelsChanged: report.modelsChanged, modelsRemoved: report.modelsRemoved,
                  conflictCount: report.conflicts.count, resolution: resolution)
    }
}
