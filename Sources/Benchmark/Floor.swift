import CLibYAML
import Foundation
import GRDBSQLite

/// The floor of a cold sync on this machine: what merely reading the bundle's YAML with
/// libyaml's event parser costs, plus what inserting the same number of rows through one
/// prepared statement in one transaction costs, with SQLite's C API. Nothing is decoded,
/// validated, resolved or indexed: no loader can do less and still have read and stored it all.
enum Floor {
    struct Scan {
        var files = 0
        var bytes = 0
        var events = 0
    }

    /// Reads every file under `tree` and pulls every libyaml event, building nothing.
    static func scan(tree: URL) throws -> Scan {
        var result = Scan()
        guard let walker = FileManager.default.enumerator(at: tree, includingPropertiesForKeys: [.isRegularFileKey]) else { return result }
        var paths: [String] = []
        for case let url as URL in walker where url.pathExtension == "yml" { paths.append(url.path) }
        paths.sort()
        for path in paths {
            let bytes = try readAll(path)
            result.files += 1
            result.bytes += bytes.count
            result.events += try events(in: bytes, path: path)
        }
        return result
    }

    private static func readAll(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("cannot read \(path)") }
        return [UInt8](data)
    }

    private static func events(in bytes: [UInt8], path: String) throws -> Int {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { throw BenchError("libyaml could not start") }
        defer { yaml_parser_delete(&parser) }
        return try bytes.withUnsafeBufferPointer { buffer -> Int in
            yaml_parser_set_input_string(&parser, buffer.baseAddress!, buffer.count)
            var event = yaml_event_t()
            var count = 0
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { throw BenchError("\(path): not YAML") }
                let type = event.type
                yaml_event_delete(&event)
                count += 1
                if type == YAML_STREAM_END_EVENT { return count }
            }
        }
    }

    /// Inserts `rows` rows shaped like the `variable` table (text, text, int, text, text, text,
    /// int, text, text) into a fresh WAL database at `path`: one prepared statement, one
    /// transaction, values bound without copying. The table has no index but its rowid.
    static func insert(rows: Int, path: String) throws {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
        var db: OpaquePointer?
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let db else {
            throw BenchError("cannot open \(path)")
        }
        defer { sqlite3_close_v2(db) }
        func exec(_ sql: String) throws {
            guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(db)))") }
        }
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = NORMAL")
        try exec("""
            CREATE TABLE row (release TEXT, model TEXT, position INTEGER, name TEXT, type TEXT, default_value TEXT,
                              mandatory INTEGER, description TEXT, choices TEXT)
            """)
        try exec("BEGIN")
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO row VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &statement, nil) == SQLITE_OK, let statement else {
            throw BenchError("prepare: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(statement) }
        // Values of the sizes the fake generator writes, made once (and freed at the end) so that only SQLite is timed.
        let names = (0..<1000).map { strdup("var-" + String(format: "%04d", $0))! }
        let models = (0..<1000).map { strdup("module-" + String(format: "%04d", $0))! }
        let release = strdup("2.7.0")!, type = strdup("domain")!, value = strdup("srv86.example.org")!
        let description = strdup("Variable générée var-0308 de type domain")!
        defer { for pointer in names + models + [release, type, value, description] { free(pointer) } }
        func bind(_ index: Int32, _ text: UnsafeMutablePointer<CChar>) {
            sqlite3_bind_text(statement, index, text, -1, nil)   // SQLITE_STATIC: the text outlives the statement
        }
        for row in 0..<rows {
            bind(1, release)
            bind(2, models[(row / 1000) % 1000])
            sqlite3_bind_int64(statement, 3, Int64(row % 1000))
            bind(4, names[row % 1000])
            bind(5, type)
            bind(6, value)
            sqlite3_bind_int64(statement, 7, Int64(row & 1))
            bind(8, description)
            sqlite3_bind_null(statement, 9)
            guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("step: \(String(cString: sqlite3_errmsg(db)))") }
            sqlite3_reset(statement)
        }
        try exec("COMMIT")
    }
}

extension Floor {
    /// Copies `rows` rows shaped like the `variable` table, with the values of ``insert(rows:path:)``,
    /// into a fresh table without index in `schema` on `server`: one `COPY … FROM STDIN` in one
    /// transaction (`psql -1`), the rows written to a file first. Returns the seconds of that
    /// `psql` run less those of a `psql -c 'SELECT 1'` run just before (starting the client and
    /// connecting, which an in-process loader pays once too but a floor should not count).
    static func copy(rows: Int, server: PostgresServer, schema: String, scratch: URL) throws -> Double {
        let file = scratch.appendingPathComponent("floor-rows.tsv")
        try writeRows(rows, to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        try server.dropSchema(schema)
        try server.psql("""
            CREATE SCHEMA \(schema); CREATE TABLE \(schema).row (release TEXT, model TEXT, position INTEGER, name TEXT, type TEXT,
                default_value TEXT, mandatory INTEGER, description TEXT, choices TEXT)
            """)
        let connecting = try server.psql("SELECT 1").seconds
        let outcome = try server.psql("COPY \(schema).row FROM STDIN", input: file.path, singleTransaction: true)
        let copied = try server.psql("SELECT count(*) FROM \(schema).row").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard copied == String(rows) else { throw BenchError("the floor copied \(copied) rows, expected \(rows)") }
        try server.dropSchema(schema)
        return max(0, outcome.seconds - connecting)
    }

    /// The rows of ``copy(rows:server:schema:scratch:)`` in COPY's text format.
    private static func writeRows(_ rows: Int, to file: URL) throws {
        FileManager.default.createFile(atPath: file.path, contents: nil)
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        var chunk = ""
        for row in 0..<rows {
            chunk += "2.7.0\tmodule-\(String(format: "%04d", (row / 1000) % 1000))\t\(row % 1000)\tvar-\(String(format: "%04d", row % 1000))"
            chunk += "\tdomain\tsrv86.example.org\t\(row & 1)\tVariable générée var-0308 de type domain\t\\N\n"
            if chunk.utf8.count > 1 << 20 {
                try handle.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try handle.write(contentsOf: Data(chunk.utf8))
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
