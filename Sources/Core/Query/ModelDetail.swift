/// `models show`: one model with provenance and effective content.
public struct ModelDetail: Sendable, Codable {
    public struct EffectiveVariable: Sendable, Codable {
        public var variable: Variable
        /// The value a local model sets, if any.
        public var value: String?
    }

    public var release: String
    public var name: String
    public var origin: ModelSummary.Origin
    public var parent: String?
    public var description: String
    public var source: String?
    public var sourceVersion: Int?
    public var services: [String]
    public var variables: [EffectiveVariable]
    public var local: LocalModel?
    /// Set when a local model's chain no longer reaches a root in force (a `parent-removed`
    /// conflict): its own values are still shown in `local`, its effective content cannot be.
    public var problem: String?

    /// - Throws: ``DerivationError/noSuchParent(_:)`` when the model does not exist or its chain is broken.
    public static func load(_ key: ModelKey, store: any ModelStore) async throws -> ModelDetail {
        let roots = try await store.rootModels(release: key.release)
        guard let effective = try await EffectiveModel.compute(key, roots: roots, store: store) else {
            guard roots[key] == nil, let local = try await store.localModel(key) else { throw DerivationError.noSuchParent(key) }
            return ModelDetail(release: key.release, name: key.name, origin: .local, parent: local.parent, description: local.description,
                               source: nil, sourceVersion: nil, services: [], variables: [], local: local,
                               problem: "its parent chain no longer reaches a root model in force (see `zephir-models conflicts`); derive it again from a model that exists")
        }
        let root = try await store.rootModel(key)
        let local = root == nil ? try await store.localModel(key) : nil
        return ModelDetail(release: key.release, name: key.name, origin: root == nil ? .local : .root,
                           parent: root?.model.parent ?? local?.parent, description: root?.model.description ?? local?.description ?? "",
                           source: root?.source, sourceVersion: root?.sourceVersion, services: effective.services,
                           variables: effective.variables.map { EffectiveVariable(variable: $0, value: effective.overrides[$0.name]) }, local: local,
                           problem: nil)
    }
}
