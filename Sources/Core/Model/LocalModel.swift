/// A child model a Zéphir user derived on this instance (SPEC §3 `models derive`).
///
/// A sync never creates, changes or deletes one; it reports what happened to its parents as
/// conflicts.
public struct LocalModel: Sendable, Hashable, Codable {
    /// One variable value set by the child.
    public struct Override: Sendable, Hashable, Codable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public var release: String
    public var name: String
    /// A root or local model of the same release.
    public var parent: String
    public var description: String
    public var overrides: [Override]
    public var addServices: [String]
    public var removeServices: [String]
    /// ``ModelInheritance/rootChainDigest(of:in:)`` of its parent when created or last acknowledged.
    public var parentDigest: String
    /// RFC 3339.
    public var createdAt: String

    public init(release: String, name: String, parent: String, description: String = "", overrides: [Override] = [],
                addServices: [String] = [], removeServices: [String] = [], parentDigest: String, createdAt: String) {
        self.release = release
        self.name = name
        self.parent = parent
        self.description = description
        self.overrides = overrides
        self.addServices = addServices
        self.removeServices = removeServices
        self.parentDigest = parentDigest
        self.createdAt = createdAt
    }

    public var key: ModelKey { ModelKey(release: release, name: name) }
}
