/// A glob over the `RELEASE/NAME` keys a source may define (`*`, `2.7.*`, `2.7.*/acme-*`).
///
/// A pattern with a `/` matches the release and the name separately; one without matches the
/// release only (so `*` allows everything, `2.8.*` every key of the 2.8 releases). `*` matches
/// any run of characters, `?` any one character.
public struct ScopeGlob: Sendable, Hashable, Codable, CustomStringConvertible {
    public let pattern: String
    private let releasePart: [UInt8]
    private let namePart: [UInt8]

    /// - Returns: `nil` when the pattern is empty, has an empty part, or more than one `/`.
    public init?(_ pattern: String) {
        let parts = pattern.split(separator: "/", omittingEmptySubsequences: false)
        guard !pattern.isEmpty, parts.count <= 2, parts.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.pattern = pattern
        releasePart = Array(parts[0].utf8)
        namePart = parts.count == 2 ? Array(parts[1].utf8) : [UInt8(ascii: "*")]
    }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let glob = ScopeGlob(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "invalid scope glob \(text)"))
        }
        self = glob
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(pattern)
    }

    public var description: String { pattern }

    /// Whether the key `release/name` is in scope.
    public func matches(release: String, name: String) -> Bool {
        Self.match(releasePart, Array(release.utf8)) && Self.match(namePart, Array(name.utf8))
    }

    /// Whether some key of `release` may be in scope (for releases and versions themselves).
    public func matches(release: String) -> Bool { Self.match(releasePart, Array(release.utf8)) }

    public static func == (a: ScopeGlob, b: ScopeGlob) -> Bool { a.pattern == b.pattern }
    public func hash(into hasher: inout Hasher) { hasher.combine(pattern) }

    private static func match(_ p: [UInt8], _ s: [UInt8]) -> Bool {
        // Iterative wildcard matching with one backtrack point: linear in practice, never exponential.
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == s[si] {
                pi += 1; si += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = si; pi += 1
            } else if star >= 0 {
                mark += 1; si = mark; pi = star + 1
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

extension Array where Element == ScopeGlob {
    /// Whether some glob allows the key.
    public func allows(release: String, name: String) -> Bool { contains { $0.matches(release: release, name: name) } }
    /// Whether some glob allows a key of the release.
    public func allows(release: String) -> Bool { contains { $0.matches(release: release) } }
}
