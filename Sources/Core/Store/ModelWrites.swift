/// The models a change set writes (changed, then added, each in key order), read in full one at
/// a time: a streaming run holds one model's content at once, whatever the bundle's size.
public struct ModelWrites: Sendable {
    public struct Entry: Sendable {
        public var key: ModelKey
        public var resolved: Resolved<ServerModel>
        /// Whether the store may hold a row for it already (a changed model) or not (an added one).
        public var isChange: Bool
    }

    /// Every model to write, in the order to write them.
    public let entries: [Entry]
    let content: RunContent?

    public init(_ changes: ChangeSet, content: RunContent? = nil) {
        entries = changes.changeModels.sorted { $0.key < $1.key }.map { Entry(key: $0.key, resolved: $0.value, isChange: true) }
            + changes.addModels.sorted { $0.key < $1.key }.map { Entry(key: $0.key, resolved: $0.value, isChange: false) }
        self.content = content
    }

    /// The content of one entry: the record a streaming run spilled, else the full model.
    /// - Throws: ``SyncError/corruptLayer(source:reason:)`` when it cannot be read back, or when
    ///   a model has two variables of the same name (a streaming run's reader refuses those).
    public func written(_ entry: Entry) throws(SyncError) -> WrittenModel {
        if let record = try content?.record(entry.resolved, key: entry.key) {
            return .record(entry.key, entry.resolved, record)
        }
        let model = try content?.model(entry.resolved, key: entry.key) ?? entry.resolved.value
        var names = Set<String>(minimumCapacity: model.variables.count)
        for variable in model.variables where !names.insert(variable.name).inserted {
            throw .duplicateVariable(model: entry.key, variable: variable.name, source: entry.resolved.source)
        }
        return .model(entry.key, entry.resolved, model)
    }
}

/// A model a run writes: a full value, or the record a streaming run spilled (read in place).
public enum WrittenModel: Sendable {
    case model(ModelKey, Resolved<ServerModel>, ServerModel)
    case record(ModelKey, Resolved<ServerModel>, ModelRecord)

    public var key: ModelKey {
        switch self { case .model(let key, _, _), .record(let key, _, _): return key }
    }
    /// The source and digest it is written with.
    public var resolved: Resolved<ServerModel> {
        switch self { case .model(_, let r, _), .record(_, let r, _): return r }
    }
    public var parent: String? {
        switch self { case .model(_, _, let m): return m.parent; case .record(_, _, let r): return r.parent }
    }
    public var description: String {
        switch self { case .model(_, _, let m): return m.description; case .record(_, _, let r): return r.description }
    }
    public var services: [String] {
        switch self { case .model(_, _, let m): return m.services; case .record(_, _, let r): return r.services }
    }
    public var variableCount: Int {
        switch self { case .model(_, _, let m): return m.variables.count; case .record(_, _, let r): return r.variableCount }
    }
}
