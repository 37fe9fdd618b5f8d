import Foundation

/// Serves a bundle held in memory (in-process sources and tests).
public struct MemoryTransport: BundleTransport {
    public let name: String
    public let files: [String: Data]
    /// When set, every fetch fails with it (to stand for an unreachable source).
    public let failure: FetchError?

    public init(name: String, files: [String: Data], failure: FetchError? = nil) {
        self.name = name
        self.files = files
        self.failure = failure
    }

    public var location: String { "memory:\(name)" }

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        if let failure { throw failure }
        guard let data = files[relativePath] else { throw .notFound(url: "\(location)/\(relativePath)") }
        return data.prefix(maxBytes + 1)
    }

    public func shutdown() async {}
}
