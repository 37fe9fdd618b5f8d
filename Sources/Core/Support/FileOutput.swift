import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Small, careful file writes.
public enum FileOutput {
    /// Creates `path` with `mode` (failing if it exists), writes `data` and, when `durable`,
    /// flushes it to disk (a file checked on every read, such as a cache entry, need not be).
    public static func writeExclusive<Bytes: ContiguousBytes>(_ data: Bytes, to path: String, mode: mode_t, durable: Bool = true) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileOutputError(path: path, errno: errno) }
        defer { close(fd) }
        _ = fchmod(fd, mode)
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; throw FileOutputError(path: path, errno: errno) }
                offset += n
            }
        }
        guard !durable || fsync(fd) == 0 else { throw FileOutputError(path: path, errno: errno) }
    }

    /// Flushes a folder's entries (after renames inside it) to disk.
    public static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

/// A file could not be written; names the file and the system's reason.
public struct FileOutputError: Error, CustomStringConvertible {
    public let path: String
    public let errno: Int32
    public var description: String { "\(path): cannot write: \(String(cString: strerror(errno)))" }
}
