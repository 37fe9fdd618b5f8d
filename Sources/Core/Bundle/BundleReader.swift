import Crypto
import Foundation

/// Fetches and verifies a bundle end to end (SPEC §5): the envelope before the payload, each
/// file's size while reading and its SHA-256 before parsing, then the tree.
///
/// The checks that depend on what is installed (rollback, equivocation) are the caller's; see
/// ``IndexPolicy``.
public struct BundleReader: Sendable {
    public struct Limits: Sendable, Hashable {
        public var maxIndexBytes = 16 << 20
        public var maxFileBytes = 64 << 20
        public var maxTotalBytes = 4 << 30
        public var yaml = YAMLLimits.default
        public init() {}
    }

    /// An index that passed the signature policy, with what it took to pass.
    public struct VerifiedIndex: Sendable {
        public var index: BundleIndex
        /// Lowercase hex SHA-256 of the signed payload: what equivocation compares.
        public var digest: String
        public var signatures: SignatureVerifier.Outcome
        /// Set when the index was accepted without meeting the threshold (policy `warn`).
        public var unsignedAccepted: TrustError?
    }

    public let transport: any BundleTransport
    public let limits: Limits

    public init(transport: any BundleTransport, limits: Limits = Limits()) {
        self.transport = transport
        self.limits = limits
    }

    /// Fetches `index.json` and checks it under `policy`, `now` and the expected source name.
    public func readIndex(policy: SignaturePolicy, expectedSource: String?, now: Date, clockSkew: TimeInterval = 0) async throws -> VerifiedIndex {
        let bytes = try await transport.fetch("index.json", maxBytes: limits.maxIndexBytes)
        guard bytes.count <= limits.maxIndexBytes else { throw TrustError.tooLarge(what: "index.json", limit: limits.maxIndexBytes) }
        return try IndexPolicy.verify(envelopeBytes: bytes, policy: policy, expectedSource: expectedSource, now: now, clockSkew: clockSkew)
    }

    /// Fetches one file of the index and checks its size and digest.
    public func readFile(_ file: BundleIndex.File) async throws -> [UInt8] {
        guard file.size <= limits.maxFileBytes else { throw TrustError.tooLarge(what: file.path, limit: limits.maxFileBytes) }
        let data = try await transport.fetch("tree/" + file.path, maxBytes: file.size)
        return try Self.check(data, against: file)
    }

    /// Checks bytes against an index entry.
    public static func check(_ data: Data, against file: BundleIndex.File) throws(TrustError) -> [UInt8] {
        guard data.count == file.size else {
            throw .sizeMismatch(path: file.path, declared: file.size, actual: data.count > file.size ? "more" : "\(data.count)")
        }
        let digest = Hex.encode(SHA256.hash(data: data))
        guard digest == file.sha256 else { throw .digestMismatch(path: file.path, expected: file.sha256, actual: digest) }
        return [UInt8](data)
    }

    /// Fetches, checks and decodes every file, then validates the tree.
    public func readTree(_ index: BundleIndex) async throws -> DatasourceTree {
        guard index.totalSize <= limits.maxTotalBytes else { throw TrustError.tooLarge(what: "the bundle", limit: limits.maxTotalBytes) }
        try await transport.prepare(files: index.files, needed: Set(index.files.map(\.path)))
        let decoder = TreeFileDecoder(limits: limits.yaml)
        var tree = DatasourceTree()
        var errors: [TreeError] = []
        for file in index.files {
            let bytes = try await readFile(file)
            do { tree.add(try decoder.decode(path: file.path, bytes: bytes)) } catch { errors.append(error) }
        }
        if errors.isEmpty { errors = TreeValidator.problems(in: tree) }
        if !errors.isEmpty { throw TrustError.invalidTree(TreeValidationError(errors).description) }
        return tree
    }
}
