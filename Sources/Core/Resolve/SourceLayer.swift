import Crypto
import Foundation

/// What a source may define (SPEC §6 kinds): adapters declare it, the resolver enforces it.
public enum SourceRole: String, Sendable, Hashable, Codable {
    /// Defines versions, releases, services and models (the `eole` and `fake` kinds).
    case authority
    /// Adds services and models to releases an authority defines (the `external` kind);
    /// versions and releases it ships are out of scope.
    case addon
}

/// The last good verified content of one source, as the resolver takes it.
public struct SourceLayer: Sendable {
    public var source: String
    public var role: SourceRole
    /// Unique among sources; higher wins.
    public var priority: Int
    public var scope: [ScopeGlob]
    /// The bundle version this layer came from.
    public var version: Int
    public var tree: DatasourceTree
    /// SHA-256 of each file of the tree, by path (from the bundle index).
    public var fileDigests: [String: String]

    public init(source: String, role: SourceRole, priority: Int, scope: [ScopeGlob], version: Int, tree: DatasourceTree,
                fileDigests: [String: String] = [:]) {
        self.source = source
        self.role = role
        self.priority = priority
        self.scope = scope
        self.version = version
        self.tree = tree
        self.fileDigests = fileDigests
    }

    /// The digest of the file at `path`: from the index when known, else computed from `value`.
    public func digest<T: Encodable>(of path: TreePath, _ value: T) -> String {
        if let known = fileDigests[path.path] { return known }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Hex.encode(SHA256.hash(data: (try? encoder.encode(value)) ?? Data()))
    }
}
