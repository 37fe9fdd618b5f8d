/// Why a fetch failed: the source is unavailable (not rejected); its last good content stays.
public enum FetchError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(url: String)
    case httpStatus(url: String, status: Int)
    case network(url: String, reason: String)
    case timeout(url: String, seconds: Double)
    case tooManyRedirects(url: String, limit: Int)
    case redirectNotAllowed(from: String, to: String)
    case unsupportedURL(String)
    /// A registry refused access (HTTP 401/403); `detail` says which credentials were tried and what to do.
    case unauthorized(url: String, detail: String)
    /// An OCI registry serves something that is not a zephir-models bundle artifact (SPEC §5.2).
    case badArtifact(url: String, problem: String)
    /// The source's `auth_file` cannot be read or is not a docker `config.json`.
    case badAuthFile(path: String, problem: String)
    /// An archive (SPEC §5.2) that cannot be read as a bundle: not a tar stream, cut short, or
    /// not laid out as `root/…`, then `index.json`, then `tree/…`. `reason` says what and what to do.
    case malformedArchive(url: String, reason: String)

    /// A stable, machine-readable name of the failure (used in conflicts' `reason`).
    public var reason: String {
        switch self {
        case .notFound: return "not-found"
        case .httpStatus: return "http-status"
        case .network: return "network"
        case .timeout: return "timeout"
        case .tooManyRedirects: return "too-many-redirects"
        case .redirectNotAllowed: return "redirect-not-allowed"
        case .unsupportedURL: return "unsupported-url"
        case .unauthorized: return "unauthorized"
        case .badArtifact: return "bad-artifact"
        case .badAuthFile: return "bad-auth-file"
        case .malformedArchive: return "malformed-archive"
        }
    }

    public var description: String {
        switch self {
        case .notFound(let url): return "\(url): not found; check the source's URL"
        case .httpStatus(let url, let status): return "\(url): the server answered HTTP \(status)"
        case .network(let url, let reason): return "\(url): \(reason)"
        case .timeout(let url, let seconds):
            let shown = seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%g", seconds)
            return "\(url): no complete answer within \(shown) s"
        case .tooManyRedirects(let url, let limit): return "\(url): more than \(limit) redirects"
        case .redirectNotAllowed(let from, let to): return "\(from): redirect to \(to) refused (redirects must keep the scheme)"
        case .unsupportedURL(let url): return "\(url): only file:, http:, https:, oci: and oci+http: URLs are supported"
        case .unauthorized(let url, let detail): return "\(url): access refused: \(detail)"
        case .badArtifact(let url, let problem):
            return "\(url): not a zephir-models bundle artifact: \(problem); the publisher must push it with `zephir-models publish --out oci://…`"
        case .badAuthFile(let path, let problem): return "auth_file \(path): \(problem)"
        case .malformedArchive(let url, let reason): return "\(url): not a readable bundle archive: \(reason)"
        }
    }
}
