import Foundation

/// `publish --out`: where a bundle goes (SPEC §5.2) — a folder, a `.tar`/`.tar.gz` archive, or
/// an OCI registry — and the publishing itself, the same checks and signature for each.
public enum BundleDestination: Sendable, Hashable, CustomStringConvertible {
    case folder(URL)
    case archive(URL, gzip: Bool)
    case registry(OCIReference)

    /// Reads `--out`: `oci://`/`oci+http://` is a registry, a path ending in `.tar` or
    /// `.tar.gz` (any case, as ``ArchiveTransport/isArchive(_:)`` reads it back) an archive,
    /// anything else a folder.
    public init(_ out: String) throws(OCIReference.Invalid) {
        if out.hasPrefix("oci://") || out.hasPrefix("oci+http://") {
            self = .registry(try OCIReference(out))
        } else {
            let path = out.hasPrefix("file:") ? FileTransport.path(of: out) : out
            let url = URL(fileURLWithPath: path)
            self = ArchiveTransport.isArchive(path) ? .archive(url, gzip: path.lowercased().hasSuffix(".gz")) : .folder(url)
        }
    }

    public var description: String {
        switch self {
        case .folder(let url), .archive(let url, _): return url.path
        case .registry(let reference): return reference.description
        }
    }
}

/// Publishes a datasource tree to a ``BundleDestination``.
public enum BundlePublisher {
    /// What was published, and where.
    public struct Publication: Sendable {
        public var index: BundleIndex
        public var openReferences: [TreeValidator.OpenReference]
        /// For a registry: what the push uploaded and skipped.
        public var push: OCIPusher.PushReport?
    }

    /// Validates the tree at `tree` and publishes it to `destination`.
    /// - Parameter roots: a bundle folder whose `root/` holds the source's roots, carried into an
    ///   archive or a registry; by default the roots already at the destination are kept. A folder
    ///   publishes the roots of its own `root/`: `roots` is refused for it.
    /// - Throws: ``TreeValidationError``, ``PublishError`` (``PublishError/destinationUnavailable(_:)``
    ///   when the archive or the registry cannot be read or written: unreachable, credentials
    ///   refused), or a file or registry error.
    public static func publish(tree: URL, _ request: BundleWriter.Request, to destination: BundleDestination, roots: URL? = nil,
                               options: TransportOptions = TransportOptions()) async throws -> Publication {
        if case .folder(let folder) = destination {
            if let roots { throw PublishError.rootsForFolder(folder: folder.path, roots: roots.path) }
            var request = request
            request.output = folder
            let publication = try BundleWriter.publishTree(tree, request)
            return Publication(index: publication.index, openReferences: publication.openReferences, push: nil)
        }
        let loaded = try TreeLoader().load(from: tree)
        let existing: BundleWriter.Existing
        do { existing = try await existingBundle(at: destination, options: options) } catch let error as FetchError {
            throw PublishError.destinationUnavailable(error)
        }
        var chain = existing.roots
        if let roots {
            chain = try rootFiles(in: roots)
        }
        let newestRoot: TrustedRoot?
        do { newestRoot = try RootWriter.newest(chain: chain, location: roots?.path ?? destination.description) } catch {
            throw PublishError.invalidRoots(error.description)
        }
        let signed = try BundleWriter.sign(files: loaded.files, request, existing: existing, roots: chain, newestRoot: newestRoot)
        var push: OCIPusher.PushReport?
        switch destination {
        case .folder: break
        case .archive(let url, let gzip):
            try FileOutput.createDirectory(url.deletingLastPathComponent())
            try ArchiveWriter.write(signed.files, to: url, gzip: gzip)
        case .registry(let reference):
            do { push = try await OCIPusher.push(signed.files, to: reference, options: options) } catch let error as FetchError {
                throw PublishError.destinationUnavailable(error)
            }
        }
        return Publication(index: signed.index, openReferences: TreeValidator.openReferences(in: loaded.tree), push: push)
    }

    /// The index and roots already at an archive or registry destination, read through its carrier.
    private static func existingBundle(at destination: BundleDestination, options: TransportOptions) async throws -> BundleWriter.Existing {
        let location = destination.description
        if case .archive(let url, _) = destination, !FileManager.default.fileExists(atPath: url.path) {
            return BundleWriter.Existing(location: location)
        }
        let url: String
        switch destination {
        case .folder(let folder), .archive(let folder, _): url = folder.path
        case .registry(let reference): url = reference.description
        }
        let transport = try Transports.make(for: url, options: options)
        do {
            let existing = try await read(transport, location: location)
            await transport.shutdown()
            return existing
        } catch {
            await transport.shutdown()
            throw error
        }
    }

    /// The index and the roots `transport` serves.
    private static func read(_ transport: any BundleTransport, location: String) async throws -> BundleWriter.Existing {
        var existing = BundleWriter.Existing(location: location)
        do {
            existing.index = try await transport.fetch("index.json", maxBytes: BundleReader.Limits().maxIndexBytes)
        } catch .notFound {
            return existing
        } catch .malformedArchive, .badArtifact {
            throw PublishError.notABundle(location)
        }
        for version in 1...RootChain.maxNewRoots {
            do { existing.roots.append(try await transport.fetch(RootChain.path(version), maxBytes: TrustedRoot.maxBytes)) } catch .notFound { break }
        }
        return existing
    }

    /// `DIR/root/1.json`, `2.json`, … in version order, as ``RootWriter/chain(in:)`` reads a bundle folder's.
    private static func rootFiles(in folder: URL) throws -> [Data] {
        let chain: [Data]
        do { chain = try RootWriter.chain(in: folder) } catch { throw PublishError.invalidRoots(error.description) }
        guard !chain.isEmpty else { throw PublishError.invalidRoots("--roots \(folder.path): no root/1.json there (`zephir-models root create --out \(folder.path)` writes it)") }
        return chain
    }
}
