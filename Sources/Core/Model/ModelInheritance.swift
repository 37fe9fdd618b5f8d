import Crypto

/// What a model amounts to once its parents are taken into account (SPEC §4): it inherits its
/// parent's services and variables; its own entries add to or redefine them.
public enum ModelInheritance {
    /// The effective services and variables of `key`, walking parents through `lookup`.
    ///
    /// - Returns: `nil` when `key` or one of its ancestors is missing, or ancestry loops.
    public static func effective(_ key: ModelKey, lookup: (ModelKey) -> ServerModel?) -> (services: [String], variables: [Variable])? {
        var chain: [ServerModel] = []
        var seen = Set<String>()
        var current: String? = key.name
        while let name = current {
            guard seen.insert(name).inserted, let model = lookup(ModelKey(release: key.release, name: name)) else { return nil }
            chain.append(model)
            current = model.parent
        }
        var services: [String] = []
        var serviceSet = Set<String>()
        var variables: [Variable] = []
        var index: [String: Int] = [:]
        for model in chain.reversed() {
            for service in model.services where serviceSet.insert(service).inserted { services.append(service) }
            for variable in model.variables {
                if let i = index[variable.name] { variables[i] = variable } else { index[variable.name] = variables.count; variables.append(variable) }
            }
        }
        return (services, variables)
    }

    /// A digest of a root model and all its root ancestors as in force: it changes whenever any
    /// of them changes. `nil` when the chain is broken.
    public static func rootChainDigest(of key: ModelKey, in models: [ModelKey: Resolved<ServerModel>]) -> String? {
        var digests: [String] = []
        var seen = Set<String>()
        var current: String? = key.name
        while let name = current {
            guard seen.insert(name).inserted, let model = models[ModelKey(release: key.release, name: name)] else { return nil }
            digests.append(model.source + ":" + model.digest)
            current = model.value.parent
        }
        return Hex.encode(SHA256.hash(data: Array(digests.joined(separator: "\n").utf8)))
    }
}
