import Foundation

/// The DSSE envelope of a bundle's `index.json` (SPEC §5).
public struct Envelope: Sendable, Hashable, Codable {
    public struct Signature: Sendable, Hashable, Codable {
        /// A hint only: the lowercase hex SHA-256 of the signer's raw public key.
        public var keyid: String
        /// Base64 of the Ed25519 signature over ``PAE``.
        public var sig: String

        public init(keyid: String, sig: String) {
            self.keyid = keyid
            self.sig = sig
        }
    }

    public static let indexPayloadType = "application/vnd.zephir-models.index+json"
    /// The payloadType of a root document (SPEC §5.1).
    public static let rootPayloadType = "application/vnd.zephir-models.root+json"

    public var payloadType: String
    /// Base64 of the payload bytes.
    public var payload: String
    public var signatures: [Signature]

    public init(payloadType: String = Envelope.indexPayloadType, payload: String, signatures: [Signature]) {
        self.payloadType = payloadType
        self.payload = payload
        self.signatures = signatures
    }

    /// Parses envelope JSON.
    /// - Throws: ``TrustError/malformedEnvelope(_:)``.
    public static func parse(_ bytes: Data) throws(TrustError) -> Envelope {
        do {
            return try decode(bytes)
        } catch {
            throw .malformedEnvelope("index.json is not a DSSE envelope: \(JSONErrorText.describe(error))")
        }
    }

    /// Parses envelope JSON, with the decoder's own error (for messages about other files).
    static func decode(_ bytes: Data) throws -> Envelope {
        try JSONDecoder().decode(Envelope.self, from: bytes)
    }

    /// The payload bytes.
    public func payloadBytes() throws(TrustError) -> Data {
        guard let data = Base64.decode(payload) else { throw .malformedEnvelope("the payload is not valid base64") }
        return data
    }

    /// Signs `payload` with every key in `keys`.
    public static func sign(payload: Data, payloadType: String = Envelope.indexPayloadType, keys: [PrivateKey]) throws -> Envelope {
        let message = PAE.encode(payloadType: payloadType, payload: payload)
        let signatures = try keys.map { key in
            Signature(keyid: key.publicKey.keyID, sig: Base64.encode(try key.sign(message)))
        }
        return Envelope(payloadType: payloadType, payload: Base64.encode(payload), signatures: signatures)
    }

    /// The canonical JSON of this envelope, as written to `index.json`.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}

/// Short, readable text for a JSON decoding error.
enum JSONErrorText {
    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing key '\(path(context.codingPath + [key]))'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at '\(path(context.codingPath))': \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at '\(path(context.codingPath))': \(context.debugDescription)"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }
}
