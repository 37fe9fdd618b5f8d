/// The key of a server model: `RELEASE/NAME`, unique in the resolved layer.
public struct ModelKey: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var release: String
    public var name: String

    public init(release: String, name: String) {
        self.release = release
        self.name = name
    }

    /// Parses `RELEASE/NAME`; `nil` when it is not of that form.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(release: String(parts[0]), name: String(parts[1]))
    }

    public var description: String { "\(release)/\(name)" }

    public static func < (a: ModelKey, b: ModelKey) -> Bool {
        (a.release, a.name) < (b.release, b.name)
    }
}
