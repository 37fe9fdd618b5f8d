import Foundation

/// Reads a bundle from a folder (`file:` URLs and plain paths).
public struct FileTransport: BundleTransport {
    public let root: URL

    public init(root: URL) { self.root = root }

    public var location: String { root.path }

    /// The path of a `file:` URL (`file:relative`, `file:/abs`, `file:///abs`).
    public static func path(of url: String) -> String {
        var rest = String(url.dropFirst("file:".count))
        if rest.hasPrefix("//") { rest = String(rest.dropFirst(2)) }
        return rest.removingPercentEncoding ?? rest
    }

    public func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data {
        let path = root.appendingPathComponent(relativePath).path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw .network(url: path, reason: "permission denied") }
            throw .notFound(url: path)
        }
        defer { try? handle.close() }
        do {
            return try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            throw .network(url: path, reason: "read failed: \(error.localizedDescription)")
        }
    }

    public func shutdown() async {}
}
