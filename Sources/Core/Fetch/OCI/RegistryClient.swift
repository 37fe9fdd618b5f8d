import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The `/v2/` HTTP API of one repository of an OCI registry (the OCI distribution
/// specification), on the HTTP client of ``HTTPTransport`` (same timeouts, certificate
/// authorities and bounded reads).
///
/// Authentication follows the registry's `WWW-Authenticate` challenge: a first request goes out
/// anonymously; `Basic` is answered with the `auth_file`'s credentials (sent with every later
/// request); `Bearer realm=…,service=…,scope=…` with a token from the realm (asked with the
/// credentials, if any), kept per scope for the client's life, so that one sync or one push
/// asks for each token once.
public final class RegistryClient: @unchecked Sendable {
    /// What a request needs the right to do in the repository, as a token scope says it.
    public enum Access: Sendable {
        case pull, push

        func scope(_ repository: String) -> String { "repository:\(repository):" + (self == .pull ? "pull" : "pull,push") }
    }

    /// One answer: the body is read up to the size the request allowed (plus one byte).
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data
        /// The URL that answered.
        public var url: String
    }

    /// The largest manifest read (the distribution registry's own limit is 4 MiB).
    public static let maxManifestBytes = 4 << 20
    /// The most of an error's body or a token endpoint's answer read.
    static let maxSmallBytes = 64 << 10

    public let reference: OCIReference
    public let options: TransportOptions
    /// From the `auth_file`, when it has an entry for the registry.
    public let credentials: RegistryCredentials?
    private let client: HTTPClient
    private let lock = NSLock()
    private var requests = 0
    /// Bearer tokens by the scope they were asked for, and those being asked for (requests
    /// challenged at once wait for the same token).
    private var tokens: [String: String] = [:]
    private var pendingTokens: [String: Task<Result<String, FetchError>, Never>] = [:]
    /// The registry asked for basic credentials once: they go with every later request.
    private var basicChallenged = false

    /// - Throws: ``FetchError/badAuthFile(path:problem:)`` when the options' `auth_file` cannot
    ///   be used, ``FetchError/network(url:reason:)`` when its `ca_file` cannot be read.
    public init(reference: OCIReference, options: TransportOptions) throws(FetchError) {
        self.reference = reference
        self.options = options
        credentials = try options.authFile.flatMap { file throws(FetchError) in try RegistryCredentials.load(authFile: file, registry: reference.registry) }
        client = try HTTPTransport.makeClient(for: reference.description, options: options)
    }

    /// How many HTTP requests this client made (token requests and redirects included).
    public var requestCount: Int { lock.withLock { requests } }

    /// `BASE/v2/REPOSITORY/` followed by `suffix` (`manifests/TAG`, `blobs/DIGEST`, …).
    public func url(_ suffix: String) -> String { reference.baseURL + "/v2/" + reference.repository + "/" + suffix }

    /// One request to the registry within the options' request timeout, authenticated as the
    /// registry asks; redirects are returned, not followed.
    /// - Parameter maxBytes: the most of a successful answer's body read (one more byte says it is longer).
    /// - Throws: ``FetchError/unauthorized(url:detail:)`` when access is refused, or any
    ///   ``FetchError`` of the network.
    public func send(_ method: HTTPMethod, _ url: String, headers: [(String, String)] = [], body: [UInt8]? = nil, maxBytes: Int,
                     access: Access) async throws(FetchError) -> Response {
        try await HTTPTransport.withDeadline(url: url, options: options) { [self] () async throws(FetchError) -> Response in
            try await authenticated(method, url, headers: headers, body: body, maxBytes: maxBytes, access: access)
        }
    }

    /// The bytes of blob `digest`, at most `maxBytes + 1` of them, following the registry's
    /// redirects (to a storage service) up to the options' limit; the credentials go only to the
    /// registry's own host.
    /// - Throws: ``FetchError/notFound(url:)`` when the registry has no such blob.
    public func blob(_ digest: String, maxBytes: Int) async throws(FetchError) -> Data {
        let start = url("blobs/" + digest)
        return try await HTTPTransport.withDeadline(url: start, options: options) { [self] () async throws(FetchError) -> Data in
            var response = try await authenticated(.GET, start, headers: [], body: nil, maxBytes: maxBytes, access: .pull)
            var hops = 0
            while [301, 302, 303, 307, 308].contains(response.status) {
                guard hops < options.maxRedirects else { throw .tooManyRedirects(url: start, limit: options.maxRedirects) }
                hops += 1
                // The same rules as any bundle fetch: a Location is required, and the scheme is kept.
                let next = try HTTPTransport.redirect(from: response.url, status: UInt(response.status), location: response.headers.first(name: "location"))
                if Self.authority(next) == Self.authority(start) {
                    response = try await authenticated(.GET, next, headers: [], body: nil, maxBytes: maxBytes, access: .pull)
                } else {
                    response = try await exchange(.GET, next, headers: [], authorization: nil, body: nil, maxBytes: maxBytes)
                }
            }
            switch response.status {
            case 200: return response.body
            case 404, 410: throw .notFound(url: start)
            default: throw .httpStatus(url: response.url, status: response.status)
            }
        }
    }

    /// Releases connections; the client is not used afterwards.
    public func shutdown() async {
        try? await client.shutdown()
    }

    // MARK: - Authentication

    /// Sends the request with what is known to open the scope (a token, basic credentials), and
    /// answers a `401` challenge once.
    private func authenticated(_ method: HTTPMethod, _ url: String, headers: [(String, String)], body: [UInt8]?, maxBytes: Int,
                               access: Access) async throws(FetchError) -> Response {
        let scope = access.scope(reference.repository)
        var authorization = knownAuthorization(scope: scope)
        var challenged = false
        while true {
            let response = try await exchange(method, url, headers: headers, authorization: authorization, body: body, maxBytes: maxBytes)
            switch response.status {
            case 401:
                guard !challenged else { throw .unauthorized(url: url, detail: refusal(sent: authorization)) }
                guard let header = response.headers.first(name: "www-authenticate"), let challenge = RegistryChallenge(header) else {
                    throw .unauthorized(url: url, detail: "the registry \(reference.registry) answered HTTP 401 without a WWW-Authenticate challenge saying how to authenticate")
                }
                challenged = true
                let answer = try await self.answer(challenge, scope: scope, url: url, sent: authorization)
                // The same credentials again would be refused again.
                guard answer != authorization else { throw .unauthorized(url: url, detail: refusal(sent: authorization)) }
                authorization = answer
            case 403:
                throw .unauthorized(url: url, detail: "the registry \(reference.registry) denied \(access == .pull ? "pulling from" : "pushing to") \(reference.repository) (HTTP 403)"
                                    + (credentials.map { " with the credentials of the auth_file \($0.file); check what they allow" } ?? "; set an auth_file (a source's auth_file, or --auth-file of publish and verify) with credentials that allow it"))
            default:
                return response
            }
        }
    }

    private func knownAuthorization(scope: String) -> String? {
        lock.withLock {
            if let token = tokens[scope] { return "Bearer " + token }
            return basicChallenged ? credentials?.basicAuthorization : nil
        }
    }

    /// The `Authorization` that answers `challenge`; `sent` is what the refused request carried.
    private func answer(_ challenge: RegistryChallenge, scope: String, url: String, sent: String?) async throws(FetchError) -> String {
        switch challenge.scheme {
        case "basic":
            guard let basic = credentials?.basicAuthorization else { throw .unauthorized(url: url, detail: missingCredentials(for: "basic")) }
            lock.withLock { basicChallenged = true }
            return basic
        case "bearer":
            return "Bearer " + (try await bearer(for: challenge, scope: scope, url: url, sent: sent))
        default:
            throw .unauthorized(url: url, detail: "the registry \(reference.registry) asks for '\(challenge.scheme)' authentication; only basic and bearer tokens are supported")
        }
    }

    /// The token for `scope`: one another request got meanwhile (unless it is the one just
    /// refused), the one being asked for, or a new one.
    private func bearer(for challenge: RegistryChallenge, scope: String, url: String, sent: String?) async throws(FetchError) -> String {
        let task: Task<Result<String, FetchError>, Never> = lock.withLock {
            if let pending = pendingTokens[scope] { return pending }
            if let token = tokens[scope], "Bearer " + token != sent { return Task { .success(token) } }
            let task = Task { [self] () async -> Result<String, FetchError> in
                do throws(FetchError) { return .success(try await self.token(for: challenge, scope: scope, url: url)) } catch { return .failure(error) }
            }
            pendingTokens[scope] = task
            return task
        }
        let result = await task.value
        lock.withLock {
            if case .success(let token) = result { tokens[scope] = token }
            pendingTokens[scope] = nil
        }
        return try result.get()
    }

    /// The scopes to ask a token for: the access this client needs (a push asks for
    /// `pull,push` once, not `pull` first), and the challenge's own when it asks for more.
    static func scopes(needed: String, challenged: String?) -> [String] {
        guard let challenged, challenged != needed else { return [needed] }
        let mine = needed.split(separator: ":"), theirs = challenged.split(separator: ":")
        if mine.count == 3, theirs.count == 3, mine[0] == theirs[0], mine[1] == theirs[1],
           Set(theirs[2].split(separator: ",")).isSubset(of: Set(mine[2].split(separator: ","))) {
            return [needed]
        }
        return [needed, challenged]
    }

    /// A token from the challenge's realm: `GET realm?service=…&scope=…` (with basic
    /// credentials, if any), or with an identity token `POST realm` (OAuth2 `refresh_token` grant).
    private func token(for challenge: RegistryChallenge, scope: String, url: String) async throws(FetchError) -> String {
        guard let realm = challenge.realm, var components = URLComponents(string: realm),
              let scheme = components.scheme?.lowercased(), scheme == "https" || (scheme == "http" && reference.plainHTTP) else {
            throw .unauthorized(url: url, detail: "the registry \(reference.registry) names the token endpoint '\(challenge.realm ?? "")', which is not an https URL")
        }
        let scopes = Self.scopes(needed: scope, challenged: challenge.scope)
        let response: Response
        if case .identityToken(let refresh) = credentials?.secret {
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "grant_type", value: "refresh_token"), URLQueryItem(name: "refresh_token", value: refresh),
                               URLQueryItem(name: "client_id", value: "zephir-models"), URLQueryItem(name: "scope", value: scopes.joined(separator: " "))]
                + (challenge.service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
            let body = (form.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            response = try await exchange(.POST, realm, headers: [("Content-Type", "application/x-www-form-urlencoded")], authorization: nil,
                                          body: Array(body.utf8), maxBytes: Self.maxSmallBytes)
        } else {
            components.queryItems = (components.queryItems ?? []) + (challenge.service.map { [URLQueryItem(name: "service", value: $0)] } ?? [])
                + scopes.map { URLQueryItem(name: "scope", value: $0) }
            let target = components.string ?? realm
            response = try await exchange(.GET, target, headers: [], authorization: credentials?.basicAuthorization, body: nil, maxBytes: Self.maxSmallBytes)
        }
        guard response.status == 200 else {
            let detail = response.status == 401 || response.status == 403
                ? (credentials == nil ? missingCredentials(for: "bearer") : "the token endpoint \(realm) refused the credentials of the auth_file \(credentials!.file) (HTTP \(response.status)); check them")
                : "the token endpoint \(realm) answered HTTP \(response.status)"
            throw .unauthorized(url: url, detail: detail)
        }
        guard response.body.count <= Self.maxSmallBytes, let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any],
              let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty else {
            throw .unauthorized(url: url, detail: "the token endpoint \(realm) answered without a token (expected JSON with \"token\" or \"access_token\")")
        }
        return token
    }

    /// Why a registry that asked for credentials gets none.
    private func missingCredentials(for scheme: String) -> String {
        let registry = reference.registry
        let entry = "an entry \"auths\": {\"\(registry)\": {\"auth\": base64(USER:PASSWORD)}}"
        guard let file = options.authFile else {
            return "the registry \(registry) requires credentials (\(scheme)); give a docker config.json with \(entry) as the source's auth_file (or --auth-file of publish and verify)"
        }
        if credentials != nil {
            return "the registry \(registry) asks for \(scheme) credentials, but the auth_file \(file) holds an identity token for it; give a username and password"
        }
        return "the registry \(registry) requires credentials (\(scheme)), and the auth_file \(file) has none for it; add \(entry)"
    }

    /// Why the registry still refuses after its challenge was answered.
    private func refusal(sent authorization: String?) -> String {
        if let credentials {
            return "the registry \(reference.registry) refused the credentials of the auth_file \(credentials.file) (HTTP 401); check them"
        }
        return "the registry \(reference.registry) refused its own token (HTTP 401)"
    }

    // MARK: - HTTP

    /// One HTTP request, counted; the body read up to `maxBytes` (a small part of an error's).
    private func exchange(_ method: HTTPMethod, _ url: String, headers: [(String, String)], authorization: String?, body: [UInt8]?,
                          maxBytes: Int) async throws(FetchError) -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "User-Agent", value: "zephir-models")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let authorization { request.headers.replaceOrAdd(name: "Authorization", value: authorization) }
        if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        } else if method == .POST || method == .PUT {
            request.headers.replaceOrAdd(name: "Content-Length", value: "0")
        }
        lock.withLock { requests += 1 }
        let response: HTTPClientResponse
        do {
            response = try await ConnectionRetry.execute(client, request, timeout: HTTPTransport.timeAmount(options.requestTimeout))
        } catch {
            throw HTTPTransport.failure(error, url: url, options: options)
        }
        let status = Int(response.status.code)
        let limit = (200..<300).contains(status) ? maxBytes : Self.maxSmallBytes
        let data = method == .HEAD ? Data() : try await HTTPTransport.readBody(response, url: url, maxBytes: limit, options: options)
        return Response(status: status, headers: response.headers, body: data, url: url)
    }

    /// `host[:port]` of a URL, lowercased.
    private static func authority(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return "" }
        return (components.host ?? "").lowercased() + (components.port.map { ":\($0)" } ?? "")
    }
}
