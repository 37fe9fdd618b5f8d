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

    public var modelsAdded: Int { changes.filter { $0.entity == .model && $0.action == .add }.count }
    public var modelsChanged: Int { changes.filter { $0.entity == .model && $0.action == .change }.count }
    public var modelsRemoved: Int { changes.filter { $0.entity == .model && $0.action == .remove }.count }
}
