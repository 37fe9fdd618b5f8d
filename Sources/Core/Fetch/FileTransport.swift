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
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if FileManager.default.fileExists(atPath: path) { throw .network(url: path, reason: "permission denied") }
            throw .notFound(url: path)
        }
        defer { close(fd) }
        // At most maxBytes + 1 bytes, in as few reads as the file's size allows (a bundle's
        // largest files are read whole, not 4 KiB at a time).
        let limit = maxBytes + 1
        var info = stat()
        let hint = fstat(fd, &info) == 0 && info.st_size > 0 ? min(Int(info.st_size), limit) : 0
        var data = Data(count: min(max(hint, 1) + 1, limit))
        var count = 0
        while count < limit {
            if count == data.count { data.count = min(max(data.count * 2, 1 << 16), limit) }
            let n = data.withUnsafeMutableBytes { read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .network(url: path, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            count += n
        }
        data.count = count
        return data
    }

    public func shutdown() async {}
}
