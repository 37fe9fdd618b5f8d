import Foundation

/// `verify`: a bundle checked end to end without touching any database.
public enum BundleVerification {
    /// What a verified bundle holds.
    public struct Report: Sendable, Codable, Equatable {
        public var location: String
        public var source: String
        public var version: Int
        public var created: String
        public var expires: String
        public var digest: String
        public var signedBy: [String]
        public var files: Int
        public var bytes: Int
        public var versions: Int
        public var releases: Int
        public var services: Int
        public var models: Int
        public var variables: Int
        /// With `--root`: the newest root the chain reached.
        public var rootVersion: Int?
    }

    /// With `root` (a pinned root, SPEC §5.1), the chain is followed from it and the index must
    /// be signed by the newest root's index keys; `trusted` and `threshold` are then unused.
    /// - Throws: ``TrustError`` (rejected), ``FetchError`` (unavailable).
    public static func verify(location: String, trusted: [PublicKey], threshold: Int, root: TrustedRoot? = nil, expectedSource: String? = nil,
                              now: Date = Date(), options: TransportOptions = TransportOptions()) async throws -> Report {
        let transport = try Transports.make(for: location, options: options)
        let reader = BundleReader(transport: transport)
        do {
            var policy = SignaturePolicy(mode: .required, threshold: threshold, keys: trusted)
            var newest: TrustedRoot?
            if let root {
                newest = try await RootChain.walk(from: root, transport: transport, now: now).newest
                policy = try newest!.indexPolicy()
            }
            let verified = try await reader.readIndex(policy: policy, expectedSource: expectedSource ?? root?.document.source, now: now)
            let tree = try await reader.readTree(verified.index)
            await transport.shutdown()
            let index = verified.index
            return Report(location: transport.location, source: index.source, version: index.version, created: index.created,
                          expires: index.expires, digest: verified.digest, signedBy: verified.signatures.validKeyIDs.sorted(),
                          files: index.files.count, bytes: index.totalSize, versions: tree.versions.count,
                          releases: tree.releases.count, services: tree.serviceCount, models: tree.modelCount, variables: tree.variableCount,
                          rootVersion: newest?.version)
        } catch {
            await transport.shutdown()
            throw error
        }
    }
}
