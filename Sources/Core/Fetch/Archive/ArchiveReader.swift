import CLibArchive
import Foundation

/// One pass over a tar stream (plain or gzip-compressed) through libarchive: the members in
/// order, each one's data read in pieces of the caller's size, so that nothing is decompressed
/// beyond what the caller reads or skips (a member's data is never read whole by libarchive).
///
/// Not thread-safe: one ``ArchiveTransport`` uses it from its own thread only.
final class ArchiveReader {
    /// A member's header, as the archive states it (nothing is trusted yet).
    struct Member {
        /// The member's name in UTF-8, or `nil` when it is not valid UTF-8.
        var name: String?
        /// What the message shows of the name.
        var shownName: String
        /// The file type bits of the mode (`S_IFMT`).
        var fileType: UInt32
        /// The declared data size, when the header states one.
        var size: Int64?
        /// A hard link (tar marks it as a regular file with a link target).
        var isHardLink: Bool
        /// A sparse file (its data holes would be filled in by the reader).
        var isSparse: Bool

        static let regular: UInt32 = 0o100000, directory: UInt32 = 0o040000, symbolicLink: UInt32 = 0o120000
        static let characterDevice: UInt32 = 0o020000, blockDevice: UInt32 = 0o060000, fifo: UInt32 = 0o010000, socket: UInt32 = 0o140000

        /// The member's kind in words, for messages.
        var kind: String {
            if isHardLink { return "hard link" }
            if isSparse { return "sparse file" }
            switch fileType {
            case Self.regular: return "regular file"
            case Self.directory: return "folder"
            case Self.symbolicLink: return "symbolic link"
            case Self.characterDevice: return "character device"
            case Self.blockDevice: return "block device"
            case Self.fifo: return "fifo"
            case Self.socket: return "socket"
            default: return "member of unknown type \(String(fileType, radix: 8))"
            }
        }

        /// A regular file with its data in the archive (no link, no holes).
        var isRegularFile: Bool { fileType == Self.regular && !isHardLink && !isSparse }
        var isDirectory: Bool { fileType == Self.directory && !isHardLink }
    }

    /// What the read callback shares with libarchive: the source, the buffer it fills, and the
    /// source's own error (reported instead of libarchive's generic one).
    private final class Context {
        let source: ArchiveByteSource
        let buffer: UnsafeMutableRawBufferPointer
        var failure: FetchError?

        init(source: ArchiveByteSource, bufferSize: Int) {
            self.source = source
            buffer = .allocate(byteCount: bufferSize, alignment: 16)
        }

        deinit { buffer.deallocate() }
    }

    /// Where the archive is, for messages.
    let location: String
    private let archive: OpaquePointer
    private let context: Context
    private var closed = false

    /// The size of the reads from the source.
    static let blockSize = 256 << 10

    /// Starts reading `source` (tar, ustar, pax or GNU tar; plain or gzip).
    /// - Throws: ``FetchError``: the source's failure, or ``FetchError/malformedArchive(url:reason:)``.
    init(source: ArchiveByteSource, location: String) throws(FetchError) {
        self.location = location
        context = Context(source: source, bufferSize: Self.blockSize)
        guard let archive = archive_read_new() else {
            source.release()
            throw .network(url: location, reason: "libarchive could not allocate a reader")
        }
        self.archive = archive
        archive_read_support_format_tar(archive)
        archive_read_support_filter_gzip(archive)
        archive_read_support_filter_none(archive)
        let read: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<UnsafeRawPointer?>?) -> la_ssize_t = { _, data, out in
            let context = Unmanaged<Context>.fromOpaque(data!).takeUnretainedValue()
            do throws(FetchError) {
                let count = try context.source.fill(context.buffer)
                out!.pointee = UnsafeRawPointer(context.buffer.baseAddress!)
                return la_ssize_t(count)
            } catch {
                context.failure = error
                return la_ssize_t(ARCHIVE_FATAL)
            }
        }
        let skip: @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, la_int64_t) -> la_int64_t = { _, data, count in
            Unmanaged<Context>.fromOpaque(data!).takeUnretainedValue().source.skip(count)
        }
        let status = archive_read_open2(archive, Unmanaged.passUnretained(context).toOpaque(), nil, read, skip, nil)
        if status != ARCHIVE_OK {
            let error = failure(status, doing: "opening it")
            close()
            throw error
        }
    }

    deinit { close() }

    /// The next member's header, or `nil` at the end of the archive. The previous member's
    /// unread data is skipped (decompressed and dropped when the archive is compressed).
    func next() throws(FetchError) -> Member? {
        try checkOpen()
        var entry: OpaquePointer?
        let status = archive_read_next_header(archive, &entry)
        if status == ARCHIVE_EOF { return nil }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw failure(status, doing: "reading a member's header") }
        let raw = archive_entry_pathname_utf8(entry) ?? archive_entry_pathname(entry)
        let name = raw.flatMap { String(validatingCString: $0) }
        let shown = name ?? raw.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: strlen($0)), as: UTF8.self) } ?? "(a member without a name)"
        return Member(name: name, shownName: shown, fileType: UInt32(archive_entry_filetype(entry)),
                      size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil,
                      isHardLink: archive_entry_hardlink(entry) != nil, isSparse: archive_entry_sparse_count(entry) > 0)
    }

    /// Reads the current member's next bytes into `buffer` (at most its size); 0 at the member's end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(FetchError) -> Int {
        try checkOpen()
        guard buffer.count > 0 else { return 0 }
        let n = archive_read_data(archive, buffer.baseAddress, buffer.count)
        guard n >= 0 else { throw failure(Int32(n), doing: "reading a member") }
        return n
    }

    /// Reads the current member's data, at most `limit` bytes of it, handing each piece to `take`.
    /// - Returns: how many bytes were read (`limit` when the member may be longer).
    func read(upTo limit: Int, _ take: (UnsafeRawBufferPointer) throws(FetchError) -> Void) throws(FetchError) -> Int {
        let piece = UnsafeMutableRawBufferPointer.allocate(byteCount: min(max(limit, 1), 64 << 10), alignment: 16)
        defer { piece.deallocate() }
        var total = 0
        while total < limit {
            let n = try read(into: UnsafeMutableRawBufferPointer(rebasing: piece[0..<min(piece.count, limit - total)]))
            if n == 0 { break }
            try take(UnsafeRawBufferPointer(rebasing: piece[0..<n]))
            total += n
        }
        return total
    }

    /// Skips the rest of the current member's data (sought over in a plain tar file).
    func skipData() throws(FetchError) {
        try checkOpen()
        let status = archive_read_data_skip(archive)
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else { throw failure(status, doing: "skipping a member") }
    }

    /// Bytes of the tar stream unpacked so far (after decompression).
    var unpackedBytes: Int64 { closed ? 0 : archive_filter_bytes(archive, 0) }

    /// Bytes taken from the file or the connection so far.
    var bytesRead: Int64 { context.source.bytesRead }

    /// Ends the pass and releases the source.
    func close() {
        guard !closed else { return }
        closed = true
        archive_read_free(archive)
        context.source.release()
    }

    private func checkOpen() throws(FetchError) {
        guard !closed else { throw .network(url: location, reason: "the archive's reader was already closed; this is a bug") }
    }

    /// The error of a failed libarchive call: the source's own, else libarchive's message.
    private func failure(_ status: Int32, doing what: String) -> FetchError {
        if let failure = context.failure { return failure }
        let message = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive status \(status)"
        return .malformedArchive(url: location, reason: "\(message) while \(what); the archive is damaged or cut short, or not a tar or tar.gz file: fetch or copy it again, or ask the publisher for a new one")
    }
}
