/// A registry's `WWW-Authenticate` challenge (RFC 7235, as the distribution specification's
/// token authentication uses it): `Basic realm="…"`, or `Bearer realm="…",service="…",scope="…"`.
public struct RegistryChallenge: Sendable, Equatable {
    /// The scheme, lowercased: `basic` or `bearer`.
    public var scheme: String
    /// Lowercased names; values unquoted.
    public var parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// The challenge of a header's value, or nil when it has no scheme.
    public init?(_ header: String) {
        var rest = Substring(header).drop(while: \.isWhitespace)
        let name = rest.prefix(while: { !$0.isWhitespace && $0 != "," })
        guard !name.isEmpty else { return nil }
        scheme = name.lowercased()
        rest = rest.dropFirst(name.count)
        parameters = [:]
        // name=value or name="quoted, \"escaped\"", separated by commas and spaces.
        while true {
            rest = rest.drop(while: { $0.isWhitespace || $0 == "," })
            let key = rest.prefix(while: { $0 != "=" && $0 != "," && !$0.isWhitespace })
            guard !key.isEmpty else { break }
            rest = rest.dropFirst(key.count).drop(while: \.isWhitespace)
            guard rest.first == "=" else { break }
            rest = rest.dropFirst().drop(while: \.isWhitespace)
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if c == "\"" { break }
                    if c == "\\", let next = rest.first { value.append(next); rest = rest.dropFirst() } else { value.append(c) }
                }
            } else {
                value = String(rest.prefix(while: { $0 != "," && !$0.isWhitespace }))
                rest = rest.dropFirst(value.count)
            }
            parameters[key.lowercased()] = value
        }
    }
}
