import Logging
import NIOCore
import PostgresNIO

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format, streamed in chunks of about a megabyte.
///
/// Each field is text (`\N` for NULL) with backslash, tab, newline and carriage return escaped;
/// fields are separated by tabs, rows end with a newline. This is how the store writes bulk
/// rows: a million variables go to the server in one `COPY`, without a bind parameter each.
struct CopyRows {
    private static let chunkSize = 1 << 20

    private let writer: PostgresCopyFromWriter
    private var buffer: ByteBuffer
    private var fieldsInRow = 0

    private init(writer: PostgresCopyFromWriter) {
        self.writer = writer
        self.buffer = ByteBufferAllocator().buffer(capacity: Self.chunkSize + 4096)
    }

    /// Copies into `table` (its `columns`, in order) the rows that `produce` appends.
    static func copy(into table: String, columns: [String], on connection: PostgresConnection, logger: Logger,
                     _ produce: (inout CopyRows) async throws -> Void) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: logger) { writer in
            var rows = CopyRows(writer: writer)
            try await produce(&rows)
            try await rows.flush()
        }
    }

    /// Appends a field to the current row.
    mutating func field(_ text: String?) {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
        guard let text else {
            buffer.writeStaticString("\\N")
            return
        }
        let plain = text.utf8.withContiguousStorageIfAvailable { bytes in !bytes.contains(where: Self.needsEscape) }
            ?? !text.utf8.contains(where: Self.needsEscape)
        if plain {
            buffer.writeString(text)
            return
        }
        for byte in text.utf8 { writeEscaped(byte) }
    }

    /// Appends a field given as UTF-8 bytes (`nil`: NULL), escaped like ``field(_:)-(String?)``.
    mutating func field(bytes: UnsafeBufferPointer<UInt8>?) {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
        guard let bytes else {
            buffer.writeStaticString("\\N")
            return
        }
        guard bytes.contains(where: Self.needsEscape) else {
            buffer.writeBytes(bytes)
            return
        }
        for byte in bytes { writeEscaped(byte) }
    }

    private mutating func writeEscaped(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
        case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
        case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
        case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
        default: buffer.writeInteger(byte)
        }
    }

    /// Appends an integer field to the current row.
    mutating func field(_ number: Int) {
        if fieldsInRow > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
        fieldsInRow += 1
        buffer.writeString(String(number))
    }

    /// Ends the current row; sends the buffer once it holds a chunk.
    mutating func endRow() async throws {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldsInRow = 0
        if buffer.readableBytes >= Self.chunkSize { try await flush() }
    }

    /// Ends the current row without sending anything (for rows produced where no `await` is
    /// possible); call ``flushIfFull()`` afterwards.
    mutating func endRowInBuffer() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        fieldsInRow = 0
    }

    /// Sends the buffer if it holds a chunk.
    mutating func flushIfFull() async throws {
        if buffer.readableBytes >= Self.chunkSize { try await flush() }
    }

    /// Checks for cancellation first (a COPY of a large run stops within a chunk of an abandoned run).
    private mutating func flush() async throws {
        try Task.checkCancellation()
        guard buffer.readableBytes > 0 else { return }
        let chunk = buffer
        buffer = ByteBufferAllocator().buffer(capacity: Self.chunkSize + 4096)
        try await writer.write(chunk)
    }

    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
    }
}
