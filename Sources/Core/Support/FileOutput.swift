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
        try writeAll(data, to: fd, naming: path)
        guard !durable || fsync(fd) == 0 else { throw FileOutputError(path: path, errno: errno) }
    }

    /// Writes all of `data` to `fd`, retrying after a signal; errors name `path`.
    public static func writeAll<Bytes: ContiguousBytes>(_ data: Bytes, to fd: Int32, naming path: String) throws {
        try data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 { if errno == EINTR { continue }; throw FileOutputError(path: path, errno: errno) }
                offset += n
            }
        }
    }

    /// Replaces `path` atomically: writes a temporary file beside it (same folder, so the same
    /// file system), flushes it, then renames it over `path`; a reader sees the old content or the
    /// new, never a part (what node_exporter's textfile collector asks of its writers).
    /// - Throws: ``FileOutputError`` naming `path`; the temporary file is removed.
    public static func replaceAtomically<Bytes: ContiguousBytes>(_ data: Bytes, at path: String, mode: mode_t = 0o644) throws {
        try replaceAtomically(at: path, mode: mode) { fd in try writeAll(data, to: fd, naming: path) }
    }

    /// Replaces `path` atomically with what `fill` writes to the descriptor of a new temporary
    /// file beside it (created with `mode`), flushed and then renamed over `path`.
    /// - Throws: what `fill` throws, or ``FileOutputError`` naming `path`; the temporary file is
    ///   removed either way.
    public static func replaceAtomically(at path: String, mode: mode_t = 0o644, _ fill: (Int32) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())").path
        unlink(temporary)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileOutputError(path: path, errno: errno) }
        var renamed = false
        defer {
            close(fd)
            if !renamed { unlink(temporary) }
        }
        _ = fchmod(fd, mode)
        try fill(fd)
        guard fsync(fd) == 0 else { throw FileOutputError(path: path, errno: errno) }
        guard rename(temporary, path) == 0 else { throw FileOutputError(path: path, errno: errno) }
        renamed = true
        syncDirectory(url.deletingLastPathComponent().path)
    }

    /// Creates `url` and its missing parents (with `mode`, when given).
    /// - Throws: ``FileOutputError`` naming the path that could not be created.
    public static func createDirectory(_ url: URL, mode: mode_t? = nil) throws {
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                    attributes: mode.map { [.posixPermissions: NSNumber(value: $0)] })
        } catch let error as NSError {
            let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
            let code = underlying?.domain == NSPOSIXErrorDomain ? Int32(underlying!.code) : (error.code == CocoaError.fileWriteFileExists.rawValue ? EEXIST : EIO)
            throw FileOutputError(path: error.userInfo[NSFilePathErrorKey] as? String ?? url.path, errno: code)
        }
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
    public var description: String {
        "\(path): cannot write: \(String(cString: strerror(errno))); choose a path whose folder exists and is writable"
    }
}
