import Foundation

/// Verifies a chain of root documents (SPEC §5.1, TUF's "update the root role"): from a trusted
/// root N, each `root/N+1.json` is trusted only when it holds version N+1 of the same source and
/// is signed by a threshold of root N's root keys and a threshold of its own. The newest root
/// must not have expired (a freeze); intermediate ones may have, as TUF checks only the newest.
public enum RootChain {
    /// The most new roots one run verifies.
    public static let maxNewRoots = 1024

    /// Where a chain ends.
    public struct Walk: Sendable {
        /// The newest trusted root.
        public var newest: TrustedRoot
        /// How many new roots were verified (0: the starting root is the newest).
        public var advanced: Int
        /// Whether the newest root names other index keys than the starting one: the stored
        /// index version floor is then cleared (TUF's recovery from a fast-forward attack).
        public var indexKeysChanged: Bool
    }

    /// The path of root `version` in a bundle.
    public static func path(_ version: Int) -> String { "root/\(version).json" }

    /// The version `path` names when it is `root/N.json`, N a positive decimal number of at most
    /// nine digits without leading zeros (what ``path(_:)`` writes); else nil.
    public static func version(ofPath path: String) -> Int? {
        guard path.hasPrefix("root/"), path.hasSuffix(".json") else { return nil }
        let number = path.dropFirst("root/".count).dropLast(".json".count)
        guard !number.isEmpty, number.count <= 9, number.first != "0", number.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(number)
    }

    /// Verifies `candidates`, the documents `root/N+1.json`, `root/N+2.json`… in order, from `trusted`.
    /// - Throws: ``TrustError``: the first document that fails, or an expired newest root.
    public static func verify(from trusted: TrustedRoot, candidates: [Data], now: Date, clockSkew: TimeInterval = 0,
                              limit: Int = maxNewRoots) throws(TrustError) -> Walk {
        guard candidates.count <= limit else { throw .rootChainTooLong(from: trusted.version, limit: limit) }
        var newest = trusted
        for bytes in candidates {
            newest = try next(after: newest, bytes: bytes, file: path(newest.version + 1))
        }
        return try finish(from: trusted, at: newest, now: now, clockSkew: clockSkew)
    }

    /// Fetches and verifies `root/N+1.json`, `root/N+2.json`… through `transport` until one is
    /// absent; at most `limit` new ones (one more is a ``TrustError/rootChainTooLong(from:limit:)``).
    /// - Throws: ``TrustError`` (rejected), ``FetchError`` other than not-found (unavailable).
    public static func walk(from trusted: TrustedRoot, transport: any BundleTransport, now: Date, clockSkew: TimeInterval = 0,
                            limit: Int = maxNewRoots) async throws -> Walk {
        var newest = trusted
        var count = 0
        while true {
            let file = path(newest.version + 1)
            let bytes: Data
            do {
                bytes = try await transport.fetch(file, maxBytes: TrustedRoot.maxBytes)
            } catch .notFound {
                break
            }
            guard count < limit else { throw TrustError.rootChainTooLong(from: trusted.version, limit: limit) }
            newest = try next(after: newest, bytes: bytes, file: file)
            count += 1
        }
        return try finish(from: trusted, at: newest, now: now, clockSkew: clockSkew)
    }

    /// Root N+1, checked against the trusted root N.
    /// - Throws: ``TrustError``.
    public static func next(after trusted: TrustedRoot, bytes: Data, file: String) throws(TrustError) -> TrustedRoot {
        guard bytes.count <= TrustedRoot.maxBytes else { throw .rootTooLarge(file: file, limit: TrustedRoot.maxBytes) }
        let (document, envelope) = try TrustedRoot.open(bytes, file: file)
        guard document.source == trusted.document.source else {
            throw .rootWrongSource(file: file, expected: trusted.document.source, found: document.source)
        }
        guard document.version == trusted.version + 1 else { throw .rootVersionGap(file: file, expected: trusted.version + 1, found: document.version) }
        try require(envelope, signedBy: trusted.document.root, file: file, signers: "root \(trusted.version)'s")
        try require(envelope, signedBy: document.root, file: file, signers: "its own")
        return TrustedRoot(document: document, envelope: bytes)
    }

    /// Requires a threshold of `role`'s keys, each counted once, to have signed `envelope`.
    /// - Throws: ``TrustError/rootSignature(file:signers:valid:required:missing:)``.
    static func require(_ envelope: Envelope, signedBy role: RootDocument.Role, file: String, signers: String) throws(TrustError) {
        let keys = try role.publicKeys()
        let outcome: SignatureVerifier.Outcome
        do { outcome = try SignatureVerifier(trusted: keys, payloadType: Envelope.rootPayloadType).check(envelope) } catch {
            throw .malformedRoot(file: file, reason: error.description)
        }
        guard outcome.validKeyIDs.count >= role.threshold else {
            throw .rootSignature(file: file, signers: signers, valid: outcome.validKeyIDs.count, required: role.threshold,
                                 missing: keys.map(\.keyID).filter { !outcome.validKeyIDs.contains($0) }.sorted())
        }
    }

    /// The walk's result, once the newest root is known not to have expired.
    private static func finish(from trusted: TrustedRoot, at newest: TrustedRoot, now: Date, clockSkew: TimeInterval) throws(TrustError) -> Walk {
        if let expiry = newest.document.expiryDate, expiry.addingTimeInterval(clockSkew) <= now {
            throw .rootExpired(version: newest.version, expires: newest.document.expires, now: RFC3339.format(now))
        }
        let changed = Set(trusted.document.index.keyIDs) != Set(newest.document.index.keyIDs)
        return Walk(newest: newest, advanced: newest.version - trusted.version, indexKeysChanged: changed)
    }
}
