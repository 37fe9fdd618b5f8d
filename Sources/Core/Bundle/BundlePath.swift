/// The rule for file paths in a bundle index: relative, normalized, under `versions/` or
/// `releases/`, never escaping the tree.
public enum BundlePath {
    /// Whether `path` is safe to join to a tree's root.
    public static func isSafe(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 1024, !path.hasPrefix("/"), !path.hasSuffix("/") else { return false }
        guard !path.unicodeScalars.contains(where: { $0 == "\\" || $0 == "\0" || $0.properties.generalCategory == .control }) else {
            return false
        }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count >= 2, segments[0] == "versions" || segments[0] == "releases" else { return false }
        return segments.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." && !$0.hasPrefix(".") }
    }
}
