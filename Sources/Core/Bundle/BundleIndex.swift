import Foundation

/// The signed payload of `index.json` (SPEC §5): which source, which version, until when, and
/// every file of the tree with its size and SHA-256.
public struct BundleIndex: Sendable, Hashable, Codable {
    public struct File: Sendable, Hashable, Codable {
        public var path: String
        public var sha256: String
        public var size: Int

        public init(path: String, sha256: String, size: Int) {
            self.path = path
            self.sha256 = sha256
            self.size = size
        }
    }

    public static let currentSpec = 1

    public var spec: Int
    public var source: String
    public var version: Int
    public var created: String
    public var expires: String
    public var files: [File]

    public init(source: String, version: Int, created: Date, expires: Date, files: [File]) {
        self.spec = Self.currentSpec
        self.source = source
        self.version = version
        self.created = RFC3339.format(created)
        self.expires = RFC3339.format(expires)
        self.files = files
    }

    public var expiryDate: Date? { RFC3339.parse(expires) }
    public var totalSize: Int { files.reduce(0) { $0 + $1.size } }

    /// Parses and checks a payload: spec, dates, versions, paths (safe, unique), digests.
    /// - Throws: ``TrustError``.
    public static func parse(_ payload: Data) throws(TrustError) -> BundleIndex {
        let index: BundleIndex
        do {
            index = try JSONDecoder().decode(BundleIndex.self, from: payload)
        } catch {
            throw .malformedIndex("the signed payload is not an index: \(JSONErrorText.describe(error))")
        }
        guard index.spec == currentSpec else {
            throw .malformedIndex("index spec \(index.spec) is not supported (this program reads spec \(currentSpec)); upgrade zephir-models")
        }
        guard index.version >= 1 else { throw .malformedIndex("version \(index.version) is not a positive integer") }
        guard RFC3339.parse(index.created) != nil else { throw .malformedIndex("'created' is not an RFC 3339 time: \(index.created)") }
        guard RFC3339.parse(index.expires) != nil else { throw .malformedIndex("'expires' is not an RFC 3339 time: \(index.expires)") }
        var seen = Set<String>()
        for file in index.files {
            guard BundlePath.isSafe(file.path) else { throw .unsafePath(file.path) }
            guard seen.insert(file.path).inserted else { throw .malformedIndex("the file \(file.path) is listed twice") }
            guard isSHA256(file.sha256.utf8) else {
                throw .malformedIndex("the sha256 of \(file.path) is not 64 lowercase hex digits")
            }
            guard file.size >= 0 else { throw .malformedIndex("the size of \(file.path) is negative") }
        }
        return index
    }

    /// The index that the `index.json` envelope `bytes` carries, parsed and checked but with its
    /// signatures not verified: what a publisher reads of the bundle already at a destination.
    /// - Throws: ``TrustError``.
    public static func unverified(envelope bytes: Data) throws(TrustError) -> BundleIndex {
        try parse(Envelope.parse(bytes).payloadBytes())
    }

    /// Whether `hex` is a SHA-256 as bundles write it: 64 lowercase hexadecimal digits.
    public static func isSHA256(_ hex: some Collection<UInt8>) -> Bool {
        hex.count == 64 && hex.allSatisfy { ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }
    }

    /// The canonical payload bytes: sorted keys, no whitespace.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}
