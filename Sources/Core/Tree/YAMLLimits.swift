/// Bounds that ``YAMLReader`` enforces while it reads, before any value is built.
///
/// They defend against hostile input: alias bombs are refused outright (anchors and aliases
/// have no use in a datasource tree), nesting and scalar sizes are capped.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest accepted document, in bytes.
    public var maxDocumentBytes: Int
    /// Deepest accepted nesting of sequences and mappings.
    public var maxDepth: Int
    /// Longest accepted scalar, in bytes.
    public var maxScalarBytes: Int
    /// Most nodes accepted in one document.
    public var maxNodes: Int

    public init(maxDocumentBytes: Int = 64 << 20, maxDepth: Int = 16, maxScalarBytes: Int = 64 << 10, maxNodes: Int = 10_000_000) {
        self.maxDocumentBytes = maxDocumentBytes
        self.maxDepth = maxDepth
        self.maxScalarBytes = maxScalarBytes
        self.maxNodes = maxNodes
    }

    public static let `default` = YAMLLimits()
}
