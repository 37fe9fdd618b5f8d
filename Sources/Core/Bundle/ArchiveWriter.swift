import CLibArchive
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a bundle as one archive (SPEC §5.2), through libarchive: a tar of regular files, in
/// the order given (the caller puts `root/N.json` first in version order, then `index.json`,
/// then `tree/…` in index order, the order ``ArchiveTransport`` requires), gzip-compressed or
/// not. The output is reproducible (POSIX pax/ustar headers, mode 0644, owner 0:0, a fixed
/// time, no gzip timestamp) and appears atomically: written beside the target, flushed, renamed.
public enum ArchiveWriter {
    /// The modification time of every member (the Unix epoch: the archive's bytes depend on the
    /// bundle's only).
    public static let memberTime = 0

    /// Writes `files` (`path` is the member's name) to `url`.
    /// - Throws: ``ArchiveWriterError`` naming the file, or a ``FileOutputError``.
    public static func write(_ files: [(path: String, bytes: [UInt8])], to url: URL, gzip: Bool) throws {
        try write(to: url, gzip: gzip) { add in
            for file in files { try file.bytes.withUnsafeBytes { try add(file.path, $0) } }
        }
    }

    /// Writes the bundle in `folder` (as ``BundleWriter`` writes one: `root/`, `index.json`,
    /// `tree/`) to `url`: the roots in version order (read as ``RootWriter/chain(in:)`` reads
    /// them), the index, then the tree files in the index's order, one in memory at a time.
    /// - Throws: ``ArchiveWriterError`` when the folder holds no readable bundle (a version
    ///   missing between its roots included) or the archive cannot be written.
    public static func write(bundleAt folder: URL, to url: URL, gzip: Bool) throws {
        let envelopeBytes: Data
        do { envelopeBytes = try Data(contentsOf: folder.appendingPathComponent("index.json")) } catch {
            throw ArchiveWriterError(path: folder.path, reason: "no readable index.json (\(error.localizedDescription)); publish the bundle first")
        }
        let index: BundleIndex
        do { index = try BundleIndex.unverified(envelope: envelopeBytes) } catch {
            throw ArchiveWriterError(path: folder.appendingPathComponent("index.json").path, reason: "not a bundle index: \(error)")
        }
        let roots: [Data]
        do { roots = try RootWriter.chain(in: folder) } catch {
            throw ArchiveWriterError(path: url.path, reason: error.description)
        }
        try write(to: url, gzip: gzip) { add in
            for (offset, root) in roots.enumerated() {
                try root.withUnsafeBytes { try add(RootChain.path(offset + 1), $0) }
            }
            try envelopeBytes.withUnsafeBytes { try add("index.json", $0) }
            for file in index.files {
                try contents(of: folder.appendingPathComponent("tree").appendingPathComponent(file.path)).withUnsafeBytes { try add("tree/" + file.path, $0) }
            }
        }
    }

    private static func contents(of url: URL) throws -> Data {
        do { return try Data(contentsOf: url) } catch {
            throw ArchiveWriterError(path: url.path, reason: "cannot be read (\(error.localizedDescription))")
        }
    }

    /// Writes `url` atomically (``FileOutput/replaceAtomically(at:mode:_:)``), `body` adding the members.
    private static func write(to url: URL, gzip: Bool,
                              _ body: (_ add: (String, UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let target = url.standardizedFileURL
        try FileOutput.replaceAtomically(at: target.path) { fd in try write(to: fd, naming: target, gzip: gzip, body) }
    }

    /// Writes the archive to `fd`; errors name `target`.
    private static func write(to fd: Int32, naming target: URL, gzip: Bool,
                              _ body: (_ add: (String, UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        guard let archive = archive_write_new() else { throw ArchiveWriterError(path: target.path, reason: "libarchive could not allocate a writer") }
        var open = true
        defer { if open { archive_write_free(archive) } }
        func check(_ status: Int32, _ what: String) throws {
            guard status >= ARCHIVE_WARN else {
                let message = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive status \(status)"
                throw ArchiveWriterError(path: target.path, reason: "\(what): \(message)")
            }
        }
        try check(archive_write_set_format_pax_restricted(archive), "choosing the tar format")
        if gzip {
            try check(archive_write_add_filter_gzip(archive), "adding gzip")
            // No time in the gzip header: the same bundle gives the same bytes.
            try check(archive_write_set_filter_option(archive, "gzip", "timestamp", nil), "setting gzip options")
        }
        try check(archive_write_open_fd(archive, fd), "opening the file")
        guard let entry = archive_entry_new() else { throw ArchiveWriterError(path: target.path, reason: "libarchive could not allocate an entry") }
        defer { archive_entry_free(entry) }
        try body { path, bytes in
            archive_entry_clear(entry)
            archive_entry_set_pathname_utf8(entry, path)
            archive_entry_set_filetype(entry, UInt32(0o100000))
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            archive_entry_set_mtime(entry, time_t(memberTime), 0)
            archive_entry_set_size(entry, la_int64_t(bytes.count))
            try check(archive_write_header(archive, entry), "writing the header of \(path)")
            var offset = 0
            while offset < bytes.count {
                let n = archive_write_data(archive, bytes.baseAddress! + offset, bytes.count - offset)
                guard n > 0 else {
                    // Nothing written is an error even when libarchive calls it a warning: the member would be short.
                    let message = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive wrote \(n) bytes"
                    throw ArchiveWriterError(path: target.path, reason: "writing \(path): \(message)")
                }
                offset += n
            }
        }
        try check(archive_write_close(archive), "finishing the archive")
        open = false
        archive_write_free(archive)
    }
}

/// An archive could not be written: names the file and says why.
public struct ArchiveWriterError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "\(path): cannot write the archive: \(reason)" }
}
