import GRDB
import GRDBSQLite

/// Binds and steps a cached GRDB statement through SQLite's C API: the bulk rows of a run
/// (a million variables) without building `StatementArguments` for each.
///
/// Use it only inside the write transaction that owns `statement`; values are copied by SQLite
/// when bound (`SQLITE_TRANSIENT`).
struct BulkRow {
    let statement: Statement
    let db: Database
    private var handle: OpaquePointer { statement.sqliteStatement }

    init(_ statement: Statement, in db: Database) {
        self.statement = statement
        self.db = db
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                if let base = chars.baseAddress, chars.count > 0 {
                    _ = sqlite3_bind_text(handle, index, base, Int32(chars.count), Self.transient)
                } else {
                    _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)   // '', not NULL
                }
            }
        }
    }

    func bind(_ index: Int32, _ text: String?) {
        if let text { bind(index, text) } else { sqlite3_bind_null(handle, index) }
    }

    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(handle, index, Int64(value)) }

    /// Binds a blob without copying it: the bytes must stay valid until the row is stepped.
    func bind(_ index: Int32, blob: UnsafeBufferPointer<UInt8>) {
        if let base = blob.baseAddress {
            _ = sqlite3_bind_blob(handle, index, base, Int32(blob.count), nil)   // SQLITE_STATIC
        } else {
            _ = sqlite3_bind_zeroblob(handle, index, 0)   // an empty blob, not NULL
        }
    }

    /// Binds UTF-8 bytes without copying them: they must stay valid until the row is stepped.
    func bind(_ index: Int32, bytes: UnsafeBufferPointer<UInt8>?) {
        guard let bytes else { sqlite3_bind_null(handle, index); return }
        bytes.withMemoryRebound(to: CChar.self) { chars in
            if let base = chars.baseAddress, chars.count > 0 {
                _ = sqlite3_bind_text(handle, index, base, Int32(chars.count), nil)   // SQLITE_STATIC
            } else {
                _ = sqlite3_bind_text(handle, index, "", 0, Self.transient)   // '', not NULL
            }
        }
    }

    /// Runs the statement with the values bound, then readies it for the next row.
    func step() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            let message = String(cString: sqlite3_errmsg(db.sqliteConnection))
            sqlite3_reset(handle)
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
        sqlite3_reset(handle)
    }

    /// Leaves the statement as GRDB expects to find it.
    func finish() { sqlite3_clear_bindings(handle) }
}
