import Crypto
import Foundation

/// The trust checks on an index, shared by every source adapter (SPEC §6 steps 1–2):
/// signature policy, source name, expiry, and against what is installed, rollback and
/// equivocation.
public enum IndexPolicy {
    /// Verifies the envelope under `policy`, then parses and checks the payload.
    /// - Throws: ``TrustError``.
    public static func verify(envelopeBytes: Data, policy: SignaturePolicy, expectedSource: String?, now: Date,
                              clockSkew: TimeInterval = 0) throws(TrustError) -> BundleReader.VerifiedIndex {
        let envelope = try Envelope.parse(envelopeBytes)
        var outcome = SignatureVerifier.Outcome()
        var unsignedAccepted: TrustError?
        let payload: Data
        switch policy.mode {
        case .required:
            outcome = try SignatureVerifier(trusted: policy.keys).check(envelope)
            guard outcome.validKeyIDs.count >= max(policy.threshold, 1) else {
                throw SignatureVerifier.failure(outcome, threshold: max(policy.threshold, 1))
            }
            payload = try envelope.payloadBytes()
        case .warn:
            outcome = try SignatureVerifier(trusted: policy.keys).check(envelope)
            if outcome.validKeyIDs.count < max(policy.threshold, 1) {
                unsignedAccepted = SignatureVerifier.failure(outcome, threshold: max(policy.threshold, 1))
            }
            payload = try envelope.payloadBytes()
        case .off:
            guard envelope.payloadType == Envelope.indexPayloadType else { throw .wrongPayloadType(envelope.payloadType) }
            payload = try envelope.payloadBytes()
        }
        let index = try BundleIndex.parse(payload)
        if let expectedSource, index.source != expectedSource { throw .wrongSource(expected: expectedSource, found: index.source) }
        if let expiry = index.expiryDate, expiry.addingTimeInterval(clockSkew) <= now {
            throw .expired(expires: index.expires, now: RFC3339.format(now))
        }
        return BundleReader.VerifiedIndex(index: index, digest: Hex.encode(SHA256.hash(data: payload)), signatures: outcome, unsignedAccepted: unsignedAccepted)
    }

    /// Rejects a version older than the installed one, or the installed version with another digest.
    /// - Returns: `true` when the index is exactly what is installed (nothing to fetch).
    public static func compare(_ verified: BundleReader.VerifiedIndex, installedVersion: Int?, installedDigest: String?) throws(TrustError) -> Bool {
        guard let installedVersion else { return false }
        if verified.index.version < installedVersion {
            throw .rollback(installed: installedVersion, offered: verified.index.version)
        }
        if verified.index.version == installedVersion {
            guard let installedDigest, installedDigest == verified.digest else {
                throw .equivocation(version: installedVersion, installedDigest: installedDigest ?? "unknown", offeredDigest: verified.digest)
            }
            return true
        }
        return false
    }
}
