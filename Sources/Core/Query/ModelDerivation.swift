import Foundation

/// `models derive`: creates a local child model of a root or local model, checking every
/// value it sets against the parent's effective variables.
public enum ModelDerivation {
    /// What the user asked for.
    public struct Request: Sendable {
        public var parent: ModelKey
        public var name: String
        public var description: String
        public var sets: [LocalModel.Override]
        public var addServices: [String]
        public var removeServices: [String]

        public init(parent: ModelKey, name: String, description: String = "", sets: [LocalModel.Override] = [], addServices: [String] = [], removeServices: [String] = []) {
            self.parent = parent
            self.name = name
            self.description = description
            self.sets = sets
            self.addServices = addServices
            self.removeServices = removeServices
        }
    }

    /// Checks the request against the store and creates the child.
    /// - Throws: ``DerivationError`` or ``StoreError``.
    public static func derive(_ request: Request, in store: any ModelStore, now: Date = Date()) async throws -> LocalModel {
        guard EntityName.isValid(request.name) else { throw DerivationError.invalidName(request.name) }
        let release = request.parent.release
        let roots = try await store.rootModels(release: release)
        let effective = try await EffectiveModel.compute(request.parent, roots: roots, store: store)
        guard let effective else { throw DerivationError.noSuchParent(request.parent) }
        let variables = Dictionary(effective.variables.map { ($0.name, $0) }, uniquingKeysWith: { _, b in b })
        var seen = Set<String>()
        for set in request.sets {
            guard seen.insert(set.name).inserted else { throw DerivationError.setTwice(set.name) }
            guard let variable = variables[set.name] else { throw DerivationError.unknownVariable(set.name, parent: request.parent) }
            if let problem = variable.problem(with: set.value) { throw DerivationError.invalidValue(set.name, set.value, problem) }
        }
        let services = try await store.serviceNames(release: release)
        for service in request.addServices where !services.contains(service) { throw DerivationError.unknownService(service, release: release) }
        for service in request.removeServices where !effective.services.contains(service) {
            throw DerivationError.serviceNotInParent(service, parent: request.parent)
        }
        let model = LocalModel(release: release, name: request.name, parent: request.parent.name, description: request.description,
                               overrides: request.sets, addServices: request.addServices, removeServices: request.removeServices,
                               parentDigest: effective.rootChainDigest ?? "", createdAt: RFC3339.format(now))
        try await store.createLocalModel(model)
        return model
    }
}

/// Why `models derive` refused.
public enum DerivationError: Error, Sendable, CustomStringConvertible {
    case invalidName(String)
    case noSuchParent(ModelKey)
    case unknownVariable(String, parent: ModelKey)
    case invalidValue(String, String, String)
    case setTwice(String)
    case unknownService(String, release: String)
    case serviceNotInParent(String, parent: ModelKey)

    public var description: String {
        switch self {
        case .invalidName(let name): return "--name '\(name)' is not a valid name (\(EntityName.pattern))"
        case .noSuchParent(let key): return "no model \(key); `zephir-models models list --release \(key.release)` shows the models of that release"
        case .unknownVariable(let name, let parent): return "--set \(name): \(parent) has no variable '\(name)'; `zephir-models models show \(parent)` lists them"
        case .invalidValue(let name, let value, let problem): return "--set \(name)=\(value): \(problem)"
        case .setTwice(let name): return "--set \(name) is given twice; give it once"
        case .unknownService(let service, let release): return "--add-service \(service): release \(release) has no such application service"
        case .serviceNotInParent(let service, let parent): return "--remove-service \(service): \(parent) does not have that service"
        }
    }
}
