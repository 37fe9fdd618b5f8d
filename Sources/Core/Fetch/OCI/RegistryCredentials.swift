import Foundation

/// The credentials of one OCI registry, read from a docker `config.json` (a source's
/// `auth_file`, SPEC §5.2): `{"auths": {"HOST[:PORT]": {"auth": base64("user:password")}}}`, or
/// `username` and `password`, or an `identitytoken` (an OAuth2 refresh token for the registry's
/// token endpoint).
///
/// Credential helpers (`credsStore`, `credHelpers`) are not run: a service reads its secrets
/// from a file its operator controls.
public struct RegistryCredentials: Sendable, Equatable {
    public enum Secret: Sendable, Equatable {
        case basic(username: String, password: String)
        /// Exchanged at the token endpoint (`grant_type=refresh_token`) for a bearer token.
        case identityToken(String)
    }

    public var secret: Secret
    /// The `auth_file` they come from, for messages.
    public var file: String

    public init(secret: Secret, file: String) {
        self.secret = secret
        self.file = file
    }

    /// `Basic base64(user:password)`, or nil for an identity token.
    public var basicAuthorization: String? {
        guard case .basic(let username, let password) = secret else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// The largest `config.json` read (docker's are a few kilobytes).
    static let maxFileBytes = 1 << 20

    /// The credentials for `registry` (`HOST[:PORT]`) in `authFile`, or nil when it has no entry
    /// for that registry (the registry is then asked anonymously).
    /// - Throws: ``FetchError/badAuthFile(path:problem:)`` when the file cannot be read, is not
    ///   docker's JSON, or its entry for the registry is not usable.
    public static func load(authFile: String, registry: String) throws(FetchError) -> RegistryCredentials? {
        guard let handle = FileHandle(forReadingAtPath: authFile) else {
            let exists = FileManager.default.fileExists(atPath: authFile)
            throw .badAuthFile(path: authFile, problem: exists ? "cannot be read (permissions?)" : "no such file; check the source's auth_file (or --auth-file)")
        }
        defer { try? handle.close() }
        let data = (try? handle.read(upToCount: maxFileBytes + 1)) ?? Data()
        guard data.count <= maxFileBytes else { throw .badAuthFile(path: authFile, problem: "larger than \(maxFileBytes) bytes; not a docker config.json") }
        return try parse(data, file: authFile, registry: registry)
    }

    /// The credentials for `registry` in the bytes of a `config.json`.
    /// - Throws: ``FetchError/badAuthFile(path:problem:)``.
    public static func parse(_ data: Data, file: String, registry: String) throws(FetchError) -> RegistryCredentials? {
        guard let json = try? JSONSerialization.jsonObject(with: data), let top = json as? [String: Any] else {
            throw .badAuthFile(path: file, problem: "not a JSON object; expected docker's config.json ({\"auths\": {\"HOST[:PORT]\": {\"auth\": …}}})")
        }
        guard let authsValue = top["auths"] else { return nil }
        guard let auths = authsValue as? [String: Any] else { throw .badAuthFile(path: file, problem: "\"auths\" is not an object") }
        guard let key = auths.keys.sorted().first(where: { Self.registry(of: $0) == registry.lowercased() }) else { return nil }
        guard let entry = auths[key] as? [String: Any] else { throw .badAuthFile(path: file, problem: "the entry \"\(key)\" is not an object") }
        func text(_ field: String) throws(FetchError) -> String? {
            guard let value = entry[field] else { return nil }
            guard let string = value as? String else { throw .badAuthFile(path: file, problem: "\"\(key)\".\(field) is not a string") }
            return string.isEmpty ? nil : string
        }
        if let token = try text("identitytoken") {
            return RegistryCredentials(secret: .identityToken(token), file: file)
        }
        if let auth = try text("auth") {
            guard let decoded = Data(base64Encoded: auth).flatMap({ String(data: $0, encoding: .utf8) }), let colon = decoded.firstIndex(of: ":") else {
                throw .badAuthFile(path: file, problem: "\"\(key)\".auth is not base64 of USER:PASSWORD")
            }
            return RegistryCredentials(secret: .basic(username: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...])),
                                       file: file)
        }
        if let username = try text("username") {
            guard let password = try text("password") else { throw .badAuthFile(path: file, problem: "\"\(key)\" has a username but no password") }
            return RegistryCredentials(secret: .basic(username: username, password: password), file: file)
        }
        return nil
    }

    /// The `HOST[:PORT]` an `auths` key names: docker writes plain hosts, and older clients
    /// URLs (`https://HOST/v1/`).
    static func registry(of key: String) -> String {
        var rest = Substring(key.lowercased())
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        return String(rest)
    }
}
