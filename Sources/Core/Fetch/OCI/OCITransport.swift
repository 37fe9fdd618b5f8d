import Foundation

/// Reads a bundle from an OCI registry (SPEC §5.2): `oci://HOST[:PORT]/REPOSITORY:TAG`.
///
/// The first fetch resolves the tag to its manifest (one request); every later fetch reads a
/// layer of that one manifest by digest, so a tag moved during a sync changes nothing in it.
/// `index.json` comes from the manifest itself when it is inline there, so a sync that finds
/// nothing new costs that one request; a file the manifest does not list is not found without
/// a request (the next `root/N.json`, normally).
///
/// The registry is not trusted: the index is verified as from any carrier, and once it is,
/// ``prepare(files:needed:)`` checks that the manifest's layers are the files it lists (size
/// and digest), before any is downloaded.
public final class OCITransport: BundleTransport, @unchecked Sendable {
    /// The manifest a tag named, by title.
    public struct Resolved: Sendable {
        public var manifest: OCIManifest
        /// `sha256:HEX` of the manifest's bytes.
        public var digest: String
        public var layers: [String: OCIManifest.Descriptor]
    }

    public let reference: OCIReference
    public let client: RegistryClient
    private let lock = NSLock()
    private var resolution: Task<Result<Resolved, FetchError>, Never>?

    /// - Throws: ``FetchError`` when the options' `auth_file` or `ca_file` cannot be used.
    public init(reference: OCIReference, options: TransportOptions) throws(FetchError) {
        self.reference = reference
        client = try RegistryClient(reference: reference, options: options)
    }

    public var location: String { reference.description }

    /// How many requests the registry (and its token endpoint) received from this transport.
    public var requestCount: Int { client.requestCount }

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        let resolved = try await resolve()
        guard let layer = resolved.layers[relativePath] else { throw .notFound(url: "\(reference) (no layer titled \(relativePath))") }
        // Longer than allowed: one byte more than the limit says so, without a request.
        if layer.size > maxBytes { return Data(count: maxBytes + 1) }
        // Inline bytes that do not match their descriptor are ignored: the blob is what it names.
        if let inline = layer.inlineBytes { return Data(inline) }
        return try await client.blob(layer.digest, maxBytes: maxBytes)
    }

    /// Checks that the manifest has a layer for every file of the verified index, with the
    /// index's size and digest: a registry that serves another file under a title is caught
    /// here, before anything is downloaded.
    /// - Throws: ``TrustError/missingFile(path:)``, ``TrustError/sizeMismatch(path:declared:actual:)``
    ///   or ``TrustError/digestMismatch(path:expected:actual:)``.
    public func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {
        let resolved = try await resolve()
        for file in files {
            // A file the manifest lacks is not found when fetched, as from any other carrier.
            guard let layer = resolved.layers["tree/" + file.path] else { continue }
            guard layer.size == file.size else {
                throw TrustError.sizeMismatch(path: file.path, declared: file.size, actual: "\(layer.size) according to the manifest of \(reference)")
            }
            guard layer.digest == "sha256:" + file.sha256 else {
                throw TrustError.digestMismatch(path: file.path, expected: file.sha256,
                                                actual: "\(layer.digest.dropFirst("sha256:".count)) according to the manifest of \(reference)")
            }
        }
    }

    /// The manifest the tag names, fetched once for the transport's life (errors included).
    public func resolve() async throws(FetchError) -> Resolved {
        let task = lock.withLock {
            if let resolution { return resolution }
            let client = self.client, reference = self.reference
            let task = Task { await Self.resolve(reference, client: client) }
            resolution = task
            return task
        }
        return try await task.value.get()
    }

    /// `GET /v2/REPOSITORY/manifests/TAG`: its digest from its bytes (and the registry's
    /// `Docker-Content-Digest`, when given, must agree), checked to be a bundle artifact.
    static func resolve(_ reference: OCIReference, client: RegistryClient) async -> Result<Resolved, FetchError> {
        do throws(FetchError) {
            let url = client.url("manifests/" + reference.tag)
            let response = try await client.send(.GET, url, headers: [("Accept", OCIManifest.mediaType)], maxBytes: RegistryClient.maxManifestBytes,
                                                 access: .pull)
            switch response.status {
            case 200: break
            case 404: throw .notFound(url: url)
            default: throw .httpStatus(url: url, status: response.status)
            }
            guard response.body.count <= RegistryClient.maxManifestBytes else {
                throw .badArtifact(url: url, problem: "the manifest is larger than \(RegistryClient.maxManifestBytes) bytes")
            }
            let digest = OCIManifest.digest(of: response.body)
            if let claimed = response.headers.first(name: "docker-content-digest"), claimed != digest {
                throw .badArtifact(url: url, problem: "the registry gives the manifest's digest as \(claimed), its bytes have \(digest)")
            }
            let manifest = try OCIManifest.parse(response.body, url: url)
            return .success(Resolved(manifest: manifest, digest: digest, layers: manifest.layersByTitle))
        } catch {
            return .failure(error)
        }
    }

    public func shutdown() async {
        await client.shutdown()
    }
}
