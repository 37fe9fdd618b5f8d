import Foundation

/// The trust pipeline of SPEC §6 steps 1–4, the same for every adapter: index under the
/// signature policy, source name, expiry, rollback and equivocation against what is installed,
/// then only the files not already cached, each checked for size and digest, parsed and
/// validated. A source is rejected as a whole, with its reason.
public struct SourceFetcher: Sendable {
    /// A new verified snapshot of a source.
    public struct Snapshot: Sendable {
        public var verified: BundleReader.VerifiedIndex
        public var envelope: Data
        public var files: [LayerRecord.File]
        public var tree: DatasourceTree
        public var filesFetched: Int
        public var bytesFetched: Int
    }

    public enum Outcome: Sendable {
        case unchanged(BundleReader.VerifiedIndex)
        case updated(Snapshot)
        case rejected(TrustError)
        case unavailable(FetchError)
    }

    public let cache: FetchCache
    public let limits: BundleReader.Limits

    public init(cache: FetchCache, limits: BundleReader.Limits = BundleReader.Limits()) {
        self.cache = cache
        self.limits = limits
    }

    /// Runs the pipeline for one source.
    /// - Parameters:
    ///   - installed: the source's installed layer, if any.
    ///   - floor: the highest version ever installed (rollback protection never goes below it).
    public func fetch(_ config: SourceConfig, adapter: any SourceAdapter, installed: InstalledSource?, floor: Int?, now: Date, clockSkew: TimeInterval) async -> Outcome {
        let transport: any BundleTransport
        do {
            transport = try adapter.makeTransport()
        } catch {
            return .unavailable(error)
        }
        let outcome = await pipeline(config, transport: transport, installed: installed, floor: floor, now: now, clockSkew: clockSkew)
        await transport.shutdown()
        return outcome
    }

    private func pipeline(_ config: SourceConfig, transport: any BundleTransport, installed: InstalledSource?, floor: Int?, now: Date,
                          clockSkew: TimeInterval) async -> Outcome {
        let reader = BundleReader(transport: transport, limits: limits)
        do {
            let envelopeBytes = try await transport.fetch("index.json", maxBytes: limits.maxIndexBytes)
            guard envelopeBytes.count <= limits.maxIndexBytes else { throw TrustError.tooLarge(what: "index.json", limit: limits.maxIndexBytes) }
            let verified = try IndexPolicy.verify(envelopeBytes: envelopeBytes, policy: config.signature, expectedSource: config.name, now: now, clockSkew: clockSkew)
            if let floor, verified.index.version < floor {
                throw TrustError.rollback(installed: floor, offered: verified.index.version)
            }
            if try IndexPolicy.compare(verified, installedVersion: installed?.version, installedDigest: installed?.digest) {
                return .unchanged(verified)
            }
            guard verified.index.totalSize <= limits.maxTotalBytes else { throw TrustError.tooLarge(what: "the bundle", limit: limits.maxTotalBytes) }
            let decoder = TreeFileDecoder(limits: limits.yaml)
            var tree = DatasourceTree()
            var files: [LayerRecord.File] = []
            files.reserveCapacity(verified.index.files.count)
            var errors: [TreeError] = []
            var fetched = 0, bytes = 0
            for entry in verified.index.files {
                let content: [UInt8]
                if let cached = cache.read(entry) {
                    content = cached
                } else {
                    content = try await reader.readFile(entry)
                    cache.write(content, sha256: entry.sha256)
                    fetched += 1
                    bytes += content.count
                }
                do { tree.add(try decoder.decode(path: entry.path, bytes: content)) } catch { errors.append(error) }
                files.append(LayerRecord.File(path: entry.path, sha256: entry.sha256, bytes: content))
            }
            if errors.isEmpty { errors = TreeValidator.problems(in: tree) }
            if !errors.isEmpty { throw TrustError.invalidTree(TreeValidationError(errors).description) }
            return .updated(Snapshot(verified: verified, envelope: envelopeBytes, files: files, tree: tree, filesFetched: fetched, bytesFetched: bytes))
        } catch let error as TrustError {
            return .rejected(error)
        } catch let error as FetchError {
            return .unavailable(error)
        } catch {
            return .unavailable(.network(url: transport.location, reason: "\(error)"))
        }
    }
}
