import Foundation

/// Pushes a bundle to an OCI registry as the artifact of SPEC §5.2 (see ``OCIManifest``).
///
/// Only what the registry lacks is uploaded: the layers the tag's current manifest already
/// lists are taken as they are (no request at all), every other blob is asked for (`HEAD`) and
/// uploaded monolithically (`POST` then `PUT …?digest=`) when absent; the manifest is put by
/// tag last, so a client sees either the old bundle or the whole new one.
public enum OCIPusher {
    /// What a push did.
    public struct PushReport: Sendable, Equatable, Codable {
        /// Blobs uploaded (files and the empty config).
        public var uploaded: Int
        /// Blobs not uploaded: listed by the tag's previous manifest, or already in the registry.
        public var skipped: Int
        public var bytesUploaded: Int
        /// HTTP requests made, token requests included.
        public var requests: Int
        /// `sha256:HEX` of the manifest the tag now names.
        public var manifestDigest: String
    }

    /// Why a push was refused.
    public enum PushError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The files hold no `index.json`, or one that is not a signed index.
        case noIndex(String)
        /// A file whose path is not a bundle file's (`index.json`, `root/N.json`, `tree/…`), or given twice.
        case invalidFile(String)
        /// The tag names an artifact that is not a bundle.
        case notABundle(reference: String, problem: String)
        case otherSource(reference: String, existing: String, requested: String)
        /// The tag holds a greater version, or the same version with another index.
        case versionNotGreater(reference: String, existing: Int, requested: Int)
        /// The registry refused a request (its error's code and message).
        case refused(url: String, status: Int, message: String)

        public var description: String {
            switch self {
            case .noIndex(let problem): return "the bundle to push has no valid index.json: \(problem)"
            case .invalidFile(let path):
                return "the bundle to push holds '\(path)', which is not index.json, root/N.json or a safe tree/ path, or is given twice; clients would refuse the artifact"
            case .notABundle(let reference, let problem):
                return "\(reference) names an artifact that is not a zephir-models bundle (\(problem)); push to another tag, a bundle never replaces another artifact"
            case .otherSource(let reference, let existing, let requested):
                return "\(reference) holds a bundle of source '\(existing)', not '\(requested)'; push to another repository or tag"
            case .versionNotGreater(let reference, let existing, let requested):
                return "\(reference) already holds version \(existing); publish a greater version than \(existing) (got \(requested)), clients refuse anything older"
            case .refused(let url, let status, let message):
                return "\(url): the registry refused the request (HTTP \(status))\(message.isEmpty ? "" : ": \(message)"); "
                    + "check that it accepts pushes to this repository (read-only mode, quota, size limits), then publish again"
            }
        }
    }

    /// How many blobs are asked for and uploaded at once.
    static let parallelism = 4

    /// Pushes `files` (in bundle order: `root/…`, `index.json`, `tree/…`, each path as its
    /// layer's title) and tags the manifest with `reference`'s tag.
    ///
    /// The tag's current bundle, if any, must be of the same source and an older version (or
    /// the same index: pushing a bundle twice changes nothing).
    /// - Throws: ``PushError``, ``FetchError`` (network, credentials).
    public static func push(_ files: [(path: String, bytes: [UInt8])], to reference: OCIReference, options: TransportOptions) async throws -> PushReport {
        var paths = Set<String>()
        if let invalid = files.first(where: { !OCIManifest.isBundleTitle($0.path) || !paths.insert($0.path).inserted }) {
            throw PushError.invalidFile(invalid.path)
        }
        guard let indexBytes = files.first(where: { $0.path == "index.json" })?.bytes else { throw PushError.noIndex("no file is named index.json") }
        let index: BundleIndex
        do { index = try BundleIndex.unverified(envelope: Data(indexBytes)) } catch { throw PushError.noIndex(error.description) }
        let client = try RegistryClient(reference: reference, options: options)
        do {
            let report = try await push(files, index: (index, indexBytes), client: client)
            await client.shutdown()
            return report
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private static func push(_ files: [(path: String, bytes: [UInt8])], index: (parsed: BundleIndex, bytes: [UInt8]),
                             client: RegistryClient) async throws -> PushReport {
        let reference = client.reference
        let listed = try await currentDigests(client, index: index)
        var report = PushReport(uploaded: 0, skipped: 0, bytesUploaded: 0, requests: 0, manifestDigest: "")
        var seen = Set<String>()
        var blobs: [(digest: String, bytes: [UInt8])] = []
        let manifest = OCIManifest(bundle: files)   // each layer's digest: its file's SHA-256, computed once
        for (digest, bytes) in [(OCIManifest.emptyConfig.digest, OCIManifest.emptyConfigBytes)] + zip(manifest.layers, files).map({ ($0.digest, $1.bytes) })
        where seen.insert(digest).inserted {
            if listed.contains(digest) { report.skipped += 1 } else { blobs.append((digest, bytes)) }
        }
        try await withThrowingTaskGroup(of: Int?.self) { group in
            var next = 0
            func start() {
                guard next < blobs.count else { return }
                let blob = blobs[next]
                next += 1
                group.addTask { try await upload(blob.digest, blob.bytes, client: client) }
            }
            for _ in 0..<parallelism { start() }
            while let uploaded = try await group.next() {
                if let uploaded {
                    report.uploaded += 1
                    report.bytesUploaded += uploaded
                } else {
                    report.skipped += 1
                }
                start()
            }
        }
        let encoded = manifest.encoded()
        let digest = OCIManifest.digest(of: encoded)
        let url = client.url("manifests/" + reference.tag)
        let response = try await client.send(.PUT, url, headers: [("Content-Type", OCIManifest.mediaType)], body: [UInt8](encoded), maxBytes: 0,
                                             access: .push)
        guard response.status == 201 || response.status == 200 else { throw refusal(response) }
        if let stored = response.headers.first(name: "docker-content-digest"), stored != digest {
            throw PushError.refused(url: url, status: response.status, message: "the registry stored the manifest as \(stored), its bytes have \(digest)")
        }
        report.manifestDigest = digest
        report.requests = client.requestCount
        return report
    }

    /// The digests of the blobs the tag's current manifest lists (none when the tag is new),
    /// after checking that it is an older version of the same source.
    private static func currentDigests(_ client: RegistryClient, index: (parsed: BundleIndex, bytes: [UInt8])) async throws -> Set<String> {
        let reference = client.reference
        let url = client.url("manifests/" + reference.tag)
        let response = try await client.send(.GET, url, headers: [("Accept", OCIManifest.mediaType)], maxBytes: RegistryClient.maxManifestBytes, access: .push)
        switch response.status {
        case 200: break
        case 404: return []
        default: throw refusal(response)
        }
        let manifest: OCIManifest
        do { manifest = try OCIManifest.parse(response.body, url: url) } catch {
            if case .badArtifact(_, let problem) = error { throw PushError.notABundle(reference: reference.description, problem: problem) }
            throw error
        }
        let layer = manifest.layersByTitle["index.json"]!
        let bytes: [UInt8]
        if let inline = layer.inlineBytes { bytes = inline } else {
            let data = try await client.blob(layer.digest, maxBytes: BundleReader.Limits().maxIndexBytes)
            guard OCIManifest.digest(of: data) == layer.digest else {
                throw PushError.notABundle(reference: reference.description, problem: "its index.json layer does not have the digest its manifest says")
            }
            bytes = [UInt8](data)
        }
        let existing: BundleIndex
        do { existing = try BundleIndex.unverified(envelope: Data(bytes)) } catch {
            throw PushError.notABundle(reference: reference.description, problem: "its index.json is not a signed index: \(error)")
        }
        guard existing.source == index.parsed.source else {
            throw PushError.otherSource(reference: reference.description, existing: existing.source, requested: index.parsed.source)
        }
        guard existing.version < index.parsed.version || bytes == index.bytes else {
            throw PushError.versionNotGreater(reference: reference.description, existing: existing.version, requested: index.parsed.version)
        }
        return Set(manifest.layers.map(\.digest) + [manifest.config.digest])
    }

    /// Uploads one blob unless the registry has it: its size when uploaded, nil when present.
    private static func upload(_ digest: String, _ bytes: [UInt8], client: RegistryClient) async throws -> Int? {
        let blob = client.url("blobs/" + digest)
        let head = try await client.send(.HEAD, blob, maxBytes: 0, access: .push)
        switch head.status {
        case 200: return nil
        case 404: break
        default: throw refusal(head)
        }
        let start = try await client.send(.POST, client.url("blobs/uploads/"), maxBytes: 0, access: .push)
        guard start.status == 202, let location = start.headers.first(name: "location"),
              let session = URL(string: location, relativeTo: URL(string: start.url))?.absoluteURL.absoluteString else {
            throw refusal(start)
        }
        let target = session + (session.contains("?") ? "&" : "?") + "digest=" + digest
        let put = try await client.send(.PUT, target, headers: [("Content-Type", "application/octet-stream")], body: bytes, maxBytes: 0, access: .push)
        guard put.status == 201 else { throw refusal(put) }
        return bytes.count
    }

    /// A refusal with the registry's own words (`{"errors": [{"code", "message"}]}`).
    private static func refusal(_ response: RegistryClient.Response) -> PushError {
        var message = ""
        if let object = try? JSONSerialization.jsonObject(with: response.body) as? [String: Any], let errors = object["errors"] as? [[String: Any]] {
            message = errors.map { error in
                [error["code"] as? String, error["message"] as? String].compactMap { $0 }.joined(separator: ": ")
            }.joined(separator: "; ")
        }
        return .refused(url: String(response.url.prefix(while: { $0 != "?" })), status: response.status, message: message)
    }
}
