import Foundation

/// Verifies an envelope's signatures against trusted keys.
///
/// The envelope's `keyid` is only a hint: every signature is tried against the trusted keys,
/// and each trusted key counts once towards the threshold however many signatures claim it.
public struct SignatureVerifier: Sendable {
    /// What the signatures of an envelope amount to.
    public struct Outcome: Sendable, Equatable {
        /// Key ids of the distinct trusted keys with a valid signature.
        public var validKeyIDs: Set<String> = []
        /// Claimed key ids of signatures that name a trusted key but do not verify.
        public var badKeyIDs: [String] = []
        /// Claimed key ids of signatures no trusted key verifies.
        public var unknownKeyIDs: [String] = []
        public var signatureCount = 0
    }

    public let trusted: [PublicKey]
    /// The payloadType an envelope must have (an index's, or a root's).
    public let payloadType: String

    public init(trusted: [PublicKey], payloadType: String = Envelope.indexPayloadType) {
        self.trusted = trusted
        self.payloadType = payloadType
    }

    /// Tries every signature against the trusted keys.
    /// - Throws: ``TrustError/wrongPayloadType(_:)``, or a malformed envelope's error.
    public func check(_ envelope: Envelope) throws(TrustError) -> Outcome {
        guard envelope.payloadType == payloadType else { throw .wrongPayloadType(envelope.payloadType) }
        let message = PAE.encode(payloadType: envelope.payloadType, payload: try envelope.payloadBytes())
        var outcome = Outcome()
        outcome.signatureCount = envelope.signatures.count
        let byID = Dictionary(trusted.map { ($0.keyID, $0) }, uniquingKeysWith: { a, _ in a })
        for signature in envelope.signatures {
            guard let sig = Base64.decode(signature.sig) else {
                if byID[signature.keyid.lowercased()] != nil { outcome.badKeyIDs.append(signature.keyid) } else { outcome.unknownKeyIDs.append(signature.keyid) }
                continue
            }
            if let hinted = byID[signature.keyid.lowercased()], hinted.isValidSignature(sig, for: message) {
                outcome.validKeyIDs.insert(hinted.keyID)
            } else if let other = trusted.first(where: { $0.isValidSignature(sig, for: message) }) {
                outcome.validKeyIDs.insert(other.keyID)
            } else if byID[signature.keyid.lowercased()] != nil {
                outcome.badKeyIDs.append(signature.keyid)
            } else {
                outcome.unknownKeyIDs.append(signature.keyid)
            }
        }
        return outcome
    }

    /// Returns the verified payload when at least `threshold` distinct trusted keys signed it.
    /// - Throws: ``TrustError``: `unsigned`, `badSignature`, `unknownKey` or `belowThreshold`.
    public func verify(_ envelope: Envelope, threshold: Int) throws(TrustError) -> Data {
        let outcome = try check(envelope)
        guard outcome.validKeyIDs.count < max(threshold, 1) else { return try envelope.payloadBytes() }
        throw Self.failure(outcome, threshold: max(threshold, 1))
    }

    /// The reason an outcome falls short of `threshold`.
    public static func failure(_ outcome: Outcome, threshold: Int) -> TrustError {
        if outcome.signatureCount == 0 { return .unsigned }
        if outcome.validKeyIDs.isEmpty, !outcome.badKeyIDs.isEmpty { return .badSignature(keyIDs: outcome.badKeyIDs) }
        if outcome.validKeyIDs.isEmpty, !outcome.unknownKeyIDs.isEmpty { return .unknownKey(keyIDs: outcome.unknownKeyIDs) }
        return .belowThreshold(valid: outcome.validKeyIDs.count, required: threshold)
    }
}
