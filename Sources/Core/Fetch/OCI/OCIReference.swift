import Foundation

/// Where an OCI artifact is (SPEC §5.2): `oci://HOST[:PORT]/REPOSITORY:TAG`, or `oci+http://…`
/// for a registry without TLS (tests only).
public struct OCIReference: Sendable, Hashable, CustomStringConvertible {
    /// Why a URL does not name an OCI artifact.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var url: String
        public var problem: String
        public var description: String { "url '\(url)': \(problem) (expected oci://HOST[:PORT]/REPOSITORY:TAG)" }
    }

    /// `HOST[:PORT]`, as docker's `config.json` names registries.
    public var registry: String
    /// `a/b/c`: lowercase path components.
    public var repository: String
    public var tag: String
    /// Whether the registry speaks plain HTTP (`oci+http://`).
    public var plainHTTP: Bool

    public init(_ url: String) throws(Invalid) {
        let rest: Substring
        if url.hasPrefix("oci://") { rest = url.dropFirst("oci://".count); plainHTTP = false }
        else if url.hasPrefix("oci+http://") { rest = url.dropFirst("oci+http://".count); plainHTTP = true }
        else { throw Invalid(url: url, problem: "the scheme must be oci:// or oci+http://") }
        guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex else { throw Invalid(url: url, problem: "no registry host") }
        registry = String(rest[..<slash])
        guard registry.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" || $0 == "[" || $0 == "]" }) else {
            throw Invalid(url: url, problem: "'\(registry)' is not a host name with an optional port")
        }
        let path = rest[rest.index(after: slash)...]
        guard let colon = path.lastIndex(of: ":"), !path[colon...].contains("/") else { throw Invalid(url: url, problem: "no :TAG after the repository") }
        repository = String(path[..<colon])
        tag = String(path[path.index(after: colon)...])
        guard !repository.isEmpty, repository.split(separator: "/", omittingEmptySubsequences: false).allSatisfy(Self.isComponent) else {
            throw Invalid(url: url, problem: "'\(repository)' is not a repository name (lowercase letters, digits and . _ - between them, components separated by /)")
        }
        guard Self.isTag(tag) else { throw Invalid(url: url, problem: "'\(tag)' is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)") }
    }

    public var description: String { (plainHTTP ? "oci+http://" : "oci://") + registry + "/" + repository + ":" + tag }

    /// `https://HOST[:PORT]` (or `http://` for `oci+http:`): where the registry's `/v2/` API is.
    public var baseURL: String { (plainHTTP ? "http://" : "https://") + registry }

    /// A path component of the OCI distribution specification's repository name grammar.
    static func isComponent(_ part: Substring) -> Bool {
        guard let first = part.first, let last = part.last, Self.isLowerAlnum(first), Self.isLowerAlnum(last) else { return false }
        return part.allSatisfy { isLowerAlnum($0) || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isTag(_ tag: String) -> Bool {
        guard let first = tag.first, tag.count <= 128, first != ".", first != "-" else { return false }
        return tag.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-") }
    }

    private static func isLowerAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
}
