/// An application service of a release: packages to install and the services it needs.
public struct ApplicationService: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    public var packages: [String]
    /// Names of other services of the same release.
    public var depends: [String]

    public init(name: String, description: String = "", packages: [String] = [], depends: [String] = []) {
        self.name = name
        self.description = description
        self.packages = packages
        self.depends = depends
    }
}
