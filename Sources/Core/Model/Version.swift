/// An EOLE version (`2.7`): a family of releases, with its end of support.
public struct Version: Sendable, Hashable, Codable {
    public var name: String
    public var label: String
    /// `YYYY-MM-DD`, when given.
    public var endOfSupport: String?

    public init(name: String, label: String, endOfSupport: String? = nil) {
        self.name = name
        self.label = label
        self.endOfSupport = endOfSupport
    }
}
