/// A model's effective content: the root chain's inheritance, then each local ancestor's
/// overrides and service changes, in order.
public struct EffectiveModel: Sendable {
    public var key: ModelKey
    public var services: [String]
    public var variables: [Variable]
    /// The values local models set, by variable (the nearest wins).
    public var overrides: [String: String]
    /// The nearest root ancestor (the model itself for a root).
    public var rootAncestor: ModelKey
    /// ``ModelInheritance/rootChainDigest(of:in:)`` of the root ancestor.
    public var rootChainDigest: String?

    /// Computes `key`'s effective content from the release's roots and the store's local models.
    /// - Returns: `nil` when the model or one of its ancestors is missing.
    public static func compute(_ key: ModelKey, roots: [ModelKey: Resolved<ServerModel>], store: any ModelStore) async throws -> EffectiveModel? {
        var locals: [LocalModel] = []
        var current = key
        var seen = Set<ModelKey>()
        while roots[current] == nil {
            guard seen.insert(current).inserted, let local = try await store.localModel(current) else { return nil }
            locals.append(local)
            current = ModelKey(release: key.release, name: local.parent)
        }
        guard let base = ModelInheritance.effective(current, lookup: { roots[$0]?.value }) else { return nil }
        var services = base.services
        var overrides: [String: String] = [:]
        for local in locals.reversed() {
            services.removeAll { local.removeServices.contains($0) }
            for s in local.addServices where !services.contains(s) { services.append(s) }
            for o in local.overrides { overrides[o.name] = o.value }
        }
        return EffectiveModel(key: key, services: services, variables: base.variables, overrides: overrides, rootAncestor: current,
                              rootChainDigest: ModelInheritance.rootChainDigest(of: current, in: roots))
    }
}
