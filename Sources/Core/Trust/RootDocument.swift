import Foundation

/// The signed payload of a root document, `root/N.json` (SPEC §5.1): which keys sign the next
/// roots, which keys sign the index, and until when the root may be relied on.
public struct RootDocument: Sendable, Hashable, Codable {
    /// A set of keys and how many of them must sign.
    public struct Role: Sendable, Hashable, Codable {
        /// Public keys in their text form, `ed25519:BASE64`.
        public var keys: [String]
        public var threshold: Int

        public init(keys: [PublicKey], threshold: Int) {
            self.keys = keys.map(\.text)
            self.threshold = threshold
        }

        /// The keys, parsed; each key once.
        public func publicKeys() throws(TrustError) -> [PublicKey] {
            var seen = Set<String>()
            var keys: [PublicKey] = []
            for text in self.keys {
                let key: PublicKey
                do { key = try PublicKey(text: text, origin: "root") } catch { throw .malformedRoot(file: "root", reason: error.description) }
                if seen.insert(key.keyID).inserted { keys.append(key) }
            }
            return keys
        }

        /// The key ids, sorted.
        public var keyIDs: [String] { ((try? publicKeys()) ?? []).map(\.keyID).sorted() }
    }

    public static let currentSpec = 1

    public var spec: Int
    public var source: String
    public var version: Int
    public var expires: String
    /// The keys that sign root documents.
    public var root: Role
    /// The keys that sign `index.json`.
    public var index: Role

    public init(source: String, version: Int, expires: Date, root: Role, index: Role) {
        self.spec = Self.currentSpec
        self.source = source
        self.version = version
        self.expires = RFC3339.format(expires)
        self.root = root
        self.index = index
    }

    public var expiryDate: Date? { RFC3339.parse(expires) }

    /// Parses and checks a payload: spec, version, expiry, keys, thresholds within the key counts.
    /// - Parameter file: names the document in errors.
    /// - Throws: ``TrustError/malformedRoot(file:reason:)``.
    public static func parse(_ payload: Data, file: String) throws(TrustError) -> RootDocument {
        let document: RootDocument
        do {
            document = try JSONDecoder().decode(RootDocument.self, from: payload)
        } catch {
            throw .malformedRoot(file: file, reason: "the signed payload is not a root: \(JSONErrorText.describe(error))")
        }
        guard document.spec == currentSpec else {
            throw .malformedRoot(file: file, reason: "root spec \(document.spec) is not supported (this program reads spec \(currentSpec)); upgrade zephir-models")
        }
        guard document.version >= 1 else { throw .malformedRoot(file: file, reason: "version \(document.version) is not a positive integer") }
        guard document.expiryDate != nil else { throw .malformedRoot(file: file, reason: "'expires' is not an RFC 3339 time: \(document.expires)") }
        for (name, role) in [("root", document.root), ("index", document.index)] {
            let keys: [PublicKey]
            do { keys = try role.publicKeys() } catch { throw .malformedRoot(file: file, reason: "\(name).keys: \(error)") }
            guard role.threshold >= 1, role.threshold <= keys.count else {
                throw .malformedRoot(file: file, reason: "\(name).threshold \(role.threshold) is not between 1 and its \(keys.count) distinct keys")
            }
        }
        return document
    }

    /// The canonical payload bytes: sorted keys, no whitespace.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}
