import Foundation

/// A root document that was verified: pinned by the operator, or reached along the chain
/// (SPEC §5.1). Holds the envelope as fetched, to be stored and verified against again.
public struct TrustedRoot: Sendable, Hashable {
    public let document: RootDocument
    /// The `root/N.json` envelope, byte for byte.
    public let envelope: Data

    /// The largest root document accepted, in bytes.
    public static let maxBytes = 64 << 10

    /// A root this program verified before (read back from the store): parsed, not verified again.
    /// - Throws: ``TrustError/malformedRoot(file:reason:)``.
    public init(storedEnvelope envelope: Data, file: String) throws(TrustError) {
        let (document, _) = try Self.open(envelope, file: file)
        self.document = document
        self.envelope = envelope
    }

    /// A root the caller just verified.
    init(document: RootDocument, envelope: Data) {
        self.document = document
        self.envelope = envelope
    }

    /// The root an operator pins (`signature.root:`): valid, and signed by a threshold of its own root keys.
    /// - Throws: ``TrustError``.
    public static func pinned(_ envelope: Data, file: String) throws(TrustError) -> TrustedRoot {
        guard envelope.count <= maxBytes else { throw .rootTooLarge(file: file, limit: maxBytes) }
        let (document, parsed) = try open(envelope, file: file)
        try RootChain.require(parsed, signedBy: document.root, file: file, signers: "its own")
        return TrustedRoot(document: document, envelope: envelope)
    }

    public var version: Int { document.version }
    /// The index signature policy this root sets: its index keys and threshold, required.
    public func indexPolicy() throws(TrustError) -> SignaturePolicy {
        SignaturePolicy(mode: .required, threshold: document.index.threshold, keys: try document.index.publicKeys())
    }

    /// The envelope and payload of a root document, parsed but not verified.
    static func open(_ bytes: Data, file: String) throws(TrustError) -> (RootDocument, Envelope) {
        let envelope: Envelope
        do { envelope = try Envelope.decode(bytes) } catch {
            throw .malformedRoot(file: file, reason: "not a DSSE envelope: \(JSONErrorText.describe(error))")
        }
        guard envelope.payloadType == Envelope.rootPayloadType else {
            throw .malformedRoot(file: file, reason: "payloadType is '\(envelope.payloadType)', not '\(Envelope.rootPayloadType)'")
        }
        guard let payload = Base64.decode(envelope.payload) else { throw .malformedRoot(file: file, reason: "the payload is not valid base64") }
        return (try RootDocument.parse(payload, file: file), envelope)
    }
}
