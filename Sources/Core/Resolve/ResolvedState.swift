/// One entity in force: its value, the source it comes from and a digest of its content.
public struct Resolved<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var source: String
    /// Changes exactly when the content in force changes (the source's file SHA-256).
    public var digest: String

    public init(value: Value, source: String, digest: String) {
        self.value = value
        self.source = source
        self.digest = digest
    }
}

/// The key of an application service: `RELEASE/NAME`, like a model's.
public typealias ServiceKey = ModelKey

/// Why a key resolved as it did: every source that offered it, for `models show --explain`.
public struct Candidate: Sendable, Hashable, Codable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        case won, shadowed
        case outOfScope = "out-of-scope"
        case notAllowed = "not-allowed"
    }

    public var source: String
    public var priority: Int
    public var outcome: Outcome

    public init(source: String, priority: Int, outcome: Outcome) {
        self.source = source
        self.priority = priority
        self.outcome = outcome
    }
}

/// The merged root content in force after resolving every source layer (SPEC §6), with the
/// root-side conflicts of SPEC §7. Produced by ``Resolver``; pure data.
public struct ResolvedState: Sendable {
    public var versions: [String: Resolved<Version>] = [:]
    public var releases: [String: Resolved<Release>] = [:]
    public var services: [ServiceKey: Resolved<ApplicationService>] = [:]
    public var models: [ModelKey: Resolved<ServerModel>] = [:]
    /// For every model key some source offered, who offered it and what came of it.
    public var candidates: [ModelKey: [Candidate]] = [:]
    public var conflicts: [Conflict] = []

    public init() {}
}
