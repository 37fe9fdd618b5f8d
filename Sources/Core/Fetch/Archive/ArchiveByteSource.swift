import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where the bytes of an archive come from, read in order by libarchive on the archive's own
/// thread (see ``ArchiveReader``): a file, or the body of an HTTP response.
protocol ArchiveByteSource: AnyObject {
    /// Fills the start of `buffer` with the next bytes and says how many; 0 at the end.
    /// Blocks until some bytes come (never on the Swift cooperative pool: see ``ArchiveTransport``).
    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int
    /// Skips up to `count` bytes without reading them when the source can (a regular file);
    /// returns how many were skipped (0: libarchive then reads through them).
    func skip(_ count: Int64) -> Int64
    /// Bytes taken from the file or the connection so far.
    var bytesRead: Int64 { get }
    /// Releases the file or the connection; no read follows.
    func release()
}

/// An archive in a local file (a plain path or a `file:` URL), read with `read(2)` and skipped
/// with `lseek(2)`.
final class FileByteSource: ArchiveByteSource {
    private let path: String
    private var fd: Int32
    private let seekable: Bool
    private(set) var bytesRead: Int64 = 0

    /// Opens `path` for reading.
    /// - Throws: ``FetchError/notFound(url:)`` when it does not exist, ``FetchError/network(url:reason:)`` when it cannot be read.
    init(path: String) throws(FetchError) {
        self.path = path
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw .notFound(url: path) }
            throw .network(url: path, reason: "cannot open the archive: \(String(cString: strerror(code)))")
        }
        var info = stat()
        seekable = fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
        if (info.st_mode & S_IFMT) == S_IFDIR {
            release()
            throw .network(url: path, reason: "a folder, not an archive file; name the .tar or .tar.gz file, or the folder without the suffix")
        }
    }

    deinit { release() }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        while true {
            let n = read(fd, buffer.baseAddress!, buffer.count)
            if n >= 0 {
                bytesRead += Int64(n)
                return n
            }
            if errno == EINTR { continue }
            throw .network(url: path, reason: "read failed: \(String(cString: strerror(errno)))")
        }
    }

    func skip(_ count: Int64) -> Int64 {
        guard seekable, count > 0, lseek(fd, off_t(count), SEEK_CUR) >= 0 else { return 0 }
        return count
    }

    func release() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
