/// A server model of a release: the services and variables a server is installed with.
///
/// A model inherits its `parent`'s services and variables; its own entries add to or
/// redefine them (see ``ModelInheritance``).
public struct ServerModel: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    /// The name of a model of the same release, if any.
    public var parent: String?
    /// Names of application services of the same release, in the order written.
    public var services: [String]
    /// Its own variables, in the order written; names are unique.
    public var variables: [Variable]

    public init(name: String, description: String = "", parent: String? = nil, services: [String] = [], variables: [Variable] = []) {
        self.name = name
        self.description = description
        self.parent = parent
        self.services = services
        self.variables = variables
    }
}
