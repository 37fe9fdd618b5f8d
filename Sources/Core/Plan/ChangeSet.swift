/// What the store holds of the resolved root layer: enough to diff against, no more.
public struct CurrentState: Sendable {
    /// Each entity's `source:digest` as written by the last applying run.
    public var versions: [String: String] = [:]
    public var releases: [String: String] = [:]
    public var services: [ServiceKey: String] = [:]
    public var models: [ModelKey: String] = [:]
    public var localModels: [LocalModel] = []

    public init(versions: [String: String] = [:], releases: [String: String] = [:], services: [ServiceKey: String] = [:],
                models: [ModelKey: String] = [:], localModels: [LocalModel] = []) {
        self.versions = versions
        self.releases = releases
        self.services = services
        self.models = models
        self.localModels = localModels
    }

    /// The stamp a resolved entity is stored with.
    public static func stamp<T>(_ resolved: Resolved<T>) -> String { resolved.source + ":" + resolved.digest }
}

/// The smallest set of writes that turns the stored root layer into the resolved one.
/// Produced by ``Planner``; applied by a store in one transaction.
public struct ChangeSet: Sendable {
    public var upsertVersions: [Resolved<Version>] = []
    public var deleteVersions: [String] = []
    public var upsertReleases: [Resolved<Release>] = []
    public var deleteReleases: [String] = []
    public var upsertServices: [ServiceKey: Resolved<ApplicationService>] = [:]
    public var deleteServices: [ServiceKey] = []
    /// Models new to the store.
    public var addModels: [ModelKey: Resolved<ServerModel>] = [:]
    /// Models whose content or source changed: their variables are rewritten.
    public var changeModels: [ModelKey: Resolved<ServerModel>] = [:]
    public var removeModels: [ModelKey] = []

    public init() {}

    public var isEmpty: Bool {
        upsertVersions.isEmpty && deleteVersions.isEmpty && upsertReleases.isEmpty && deleteReleases.isEmpty
            && upsertServices.isEmpty && deleteServices.isEmpty && addModels.isEmpty && changeModels.isEmpty && removeModels.isEmpty
    }
}

/// A planner's answer: the writes and the child-side conflicts (SPEC §7).
public struct Plan: Sendable {
    public var changes: ChangeSet
    public var conflicts: [Conflict]

    public init(changes: ChangeSet, conflicts: [Conflict]) {
        self.changes = changes
        self.conflicts = conflicts
    }
}
