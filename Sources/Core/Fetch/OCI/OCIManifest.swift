import Foundation

/// A bundle as an OCI 1.1 artifact (SPEC §5.2): an image manifest of `artifactType`
/// `application/vnd.zephir-models.bundle.v1`, the empty config, and one layer per bundle file
/// (`root/N.json`, `index.json`, `tree/…`) named by its `org.opencontainers.image.title`
/// annotation. A layer's digest is `sha256:` and the file's SHA-256, so a file that did not
/// change is the same blob from one version to the next: neither uploaded nor fetched again.
///
/// The `index.json` layer also carries its bytes inline (the descriptor's `data`, OCI 1.1) when
/// they are small, so that a sync that finds nothing new costs one request: the manifest.
public struct OCIManifest: Sendable, Equatable, Codable {
    public static let mediaType = "application/vnd.oci.image.manifest.v1+json"
    public static let bundleArtifactType = "application/vnd.zephir-models.bundle.v1"
    public static let titleAnnotation = "org.opencontainers.image.title"
    /// The layers of DSSE envelopes: `index.json` and `root/N.json`.
    public static let envelopeMediaType = "application/vnd.dsse.envelope.v1+json"
    /// The layers of the tree's files.
    public static let treeFileMediaType = "application/yaml"
    /// The largest `index.json` carried inline in the manifest.
    public static let maxInlineBytes = 256 << 10

    /// An OCI content descriptor.
    public struct Descriptor: Sendable, Equatable, Codable {
        public var mediaType: String
        public var digest: String
        public var size: Int
        /// The content itself, base64 (OCI 1.1), for small contents.
        public var data: String?
        public var annotations: [String: String]?

        public init(mediaType: String, digest: String, size: Int, data: String? = nil, annotations: [String: String]? = nil) {
            self.mediaType = mediaType
            self.digest = digest
            self.size = size
            self.data = data
            self.annotations = annotations
        }

        /// The bundle file this layer holds.
        public var title: String? { annotations?[OCIManifest.titleAnnotation] }

        /// The inline bytes, when present and matching the descriptor's size and digest.
        public var inlineBytes: [UInt8]? {
            guard let data, let bytes = Data(base64Encoded: data), bytes.count == size, OCIManifest.digest(of: bytes) == digest else { return nil }
            return [UInt8](bytes)
        }
    }

    /// The empty config of an artifact (OCI 1.1's empty descriptor): `{}`.
    public static let emptyConfigBytes: [UInt8] = Array("{}".utf8)
    public static let emptyConfig = Descriptor(mediaType: "application/vnd.oci.empty.v1+json",
                                               digest: "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", size: 2, data: "e30=")

    public var schemaVersion: Int
    public var mediaType: String?
    public var artifactType: String?
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    /// The manifest of a bundle's files, in the order given (the bundle's: `root/…`, `index.json`, `tree/…`).
    public init(bundle files: [(path: String, bytes: [UInt8])]) {
        schemaVersion = 2
        mediaType = Self.mediaType
        artifactType = Self.bundleArtifactType
        config = Self.emptyConfig
        layers = files.map { file in
            let inline = file.path == "index.json" && file.bytes.count <= Self.maxInlineBytes
            return Descriptor(mediaType: file.path.hasPrefix("tree/") ? Self.treeFileMediaType : Self.envelopeMediaType,
                              digest: Self.digest(of: file.bytes), size: file.bytes.count,
                              data: inline ? Data(file.bytes).base64EncodedString() : nil,
                              annotations: [Self.titleAnnotation: file.path])
        }
    }

    /// The manifest's JSON (keys sorted: the same files give the same bytes, hence the same digest).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try! encoder.encode(self)
    }

    /// `sha256:HEX` of `bytes`.
    public static func digest<D: DataProtocol>(of bytes: D) -> String { "sha256:" + SHA256Digest.hex(bytes) }

    /// The layers by title (unique once ``parse(_:url:)`` accepted the manifest).
    public var layersByTitle: [String: Descriptor] {
        Dictionary(layers.compactMap { layer in layer.title.map { ($0, layer) } }, uniquingKeysWith: { first, _ in first })
    }

    /// A manifest as a registry served it, checked to be a bundle artifact: the media and
    /// artifact types, the empty config, and layers with `sha256` digests and unique titles
    /// that name bundle files, one of them `index.json`.
    /// - Throws: ``FetchError/badArtifact(url:problem:)`` naming what is wrong.
    public static func parse(_ data: Data, url: String) throws(FetchError) -> OCIManifest {
        let manifest: OCIManifest
        do { manifest = try JSONDecoder().decode(OCIManifest.self, from: data) } catch {
            throw .badArtifact(url: url, problem: "the manifest is not an OCI image manifest (\(Self.describe(error)))")
        }
        guard manifest.schemaVersion == 2 else { throw .badArtifact(url: url, problem: "schemaVersion is \(manifest.schemaVersion), not 2") }
        guard manifest.mediaType == Self.mediaType else {
            throw .badArtifact(url: url, problem: "the manifest's mediaType is '\(manifest.mediaType ?? "(none)")', not '\(Self.mediaType)'")
        }
        guard manifest.artifactType == Self.bundleArtifactType else {
            throw .badArtifact(url: url, problem: "the artifactType is '\(manifest.artifactType ?? "(none)")', not '\(Self.bundleArtifactType)'")
        }
        guard manifest.config.mediaType == emptyConfig.mediaType else {
            throw .badArtifact(url: url, problem: "the config's mediaType is '\(manifest.config.mediaType)', not '\(emptyConfig.mediaType)'")
        }
        var titles = Set<String>()
        for (number, layer) in manifest.layers.enumerated() {
            guard let title = layer.title else {
                throw .badArtifact(url: url, problem: "layer \(number + 1) (\(layer.digest)) has no \(titleAnnotation) annotation naming its file")
            }
            guard isBundleTitle(title) else {
                throw .badArtifact(url: url, problem: "layer \(number + 1) is titled '\(title)', which is not index.json, root/N.json or tree/ and a safe tree path")
            }
            guard titles.insert(title).inserted else { throw .badArtifact(url: url, problem: "two layers are titled '\(title)'") }
            guard isDigest(layer.digest) else {
                throw .badArtifact(url: url, problem: "the layer '\(title)' has the digest '\(layer.digest)'; bundle layers are sha256:HEX (64 lowercase digits)")
            }
            guard layer.size >= 0 else { throw .badArtifact(url: url, problem: "the layer '\(title)' has a negative size") }
        }
        guard titles.contains("index.json") else { throw .badArtifact(url: url, problem: "no layer is titled index.json") }
        return manifest
    }

    /// `sha256:` and 64 lowercase hex digits.
    static func isDigest(_ digest: String) -> Bool {
        guard digest.hasPrefix("sha256:") else { return false }
        return BundleIndex.isSHA256(digest.utf8.dropFirst("sha256:".count))
    }

    /// `index.json`, `root/N.json` (N a positive number), or `tree/` and a path of ``BundlePath``.
    static func isBundleTitle(_ title: String) -> Bool {
        if title == "index.json" { return true }
        if title.hasPrefix("tree/") { return BundlePath.isSafe(String(title.dropFirst("tree/".count))) }
        return RootChain.version(ofPath: title) != nil
    }

    private static func describe(_ error: Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, let context)?: return "no \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?:
            return "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        case .dataCorrupted?: return "not JSON"
        default: return "\(error)"
        }
    }
}
