import Foundation
import GRDB
@testable import PostgresStore
@testable import SQLiteStore
import Testing
@testable import ZephirCore

/// SPEC §8: the two stores are one schema in two dialects. Both are migrated from scratch and
/// read back from their catalogs: the same tables, columns (types modulo dialect, nullability,
/// primary keys), indexes, foreign keys, checked columns and triggers.
@Suite struct SchemaParityTests {
    /// One store's schema, in dialect-neutral words.
    struct Schema: Equatable, CustomStringConvertible {
        /// `table.column type [not null] [pk N]`.
        var columns: Set<String> = []
        /// `table(columns) [unique]`, named or not.
        var indexes: Set<String> = []
        /// `table(columns) -> table(columns) on delete ACTION`.
        var foreignKeys: Set<String> = []
        /// `table.column` of every column under a CHECK constraint.
        var checked: Set<String> = []
        var triggers: Set<String> = []

        var description: String {
            [columns, indexes, foreignKeys, checked, triggers].map { $0.sorted().joined(separator: "\n") }.joined(separator: "\n--\n")
        }

        /// What one has that the other has not, both ways.
        func difference(_ other: Schema) -> String {
            let pairs = [("columns", columns, other.columns), ("indexes", indexes, other.indexes), ("foreign keys", foreignKeys, other.foreignKeys),
                         ("checked", checked, other.checked), ("triggers", triggers, other.triggers)]
            return pairs.compactMap { name, a, b in
                a == b ? nil : "\(name): only SQLite \(a.subtracting(b).sorted()), only PostgreSQL \(b.subtracting(a).sorted())"
            }.joined(separator: "\n")
        }
    }

    /// INTEGER/BIGINT → integer, TEXT → text, BLOB/BYTEA → bytes, TIMESTAMPTZ → time.
    static func neutral(_ type: String) -> String {
        switch type.lowercased() {
        case "integer", "bigint", "int", "int4", "int8": return "integer"
        case "text", "character varying": return "text"
        case "blob", "bytea": return "bytes"
        default: return type.lowercased()
        }
    }

    static func sqliteSchema(_ store: SQLiteStore) async throws -> Schema {
        try await store.pool.read { db in
            var schema = Schema()
            let tables = try String.fetchAll(db, sql: """
                SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'grdb_migrations' ORDER BY name
                """)
            for table in tables {
                let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = ?", arguments: [table]) ?? ""
                for column in try Row.fetchAll(db, sql: "PRAGMA table_info(\(table))") {
                    let name: String = column["name"], pk: Int = column["pk"]
                    let notNull = (column["notnull"] as Int) == 1 || pk > 0
                    schema.columns.insert("\(table).\(name) \(neutral(column["type"]))" + (notNull ? " not null" : "") + (pk > 0 ? " pk \(pk)" : ""))
                    let line = sql.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + " ") }
                    if line?.contains("CHECK") == true { schema.checked.insert("\(table).\(name)") }
                }
                for index in try Row.fetchAll(db, sql: "PRAGMA index_list(\(table))") where (index["origin"] as String) == "c" {
                    let name: String = index["name"]
                    let columns = try Row.fetchAll(db, sql: "PRAGMA index_info(\(name))").map { $0["name"] as String }
                    schema.indexes.insert("\(name) \(table)(\(columns.joined(separator: ", ")))" + ((index["unique"] as Int) == 1 ? " unique" : ""))
                }
                let keys = Dictionary(grouping: try Row.fetchAll(db, sql: "PRAGMA foreign_key_list(\(table))"), by: { $0["id"] as Int })
                for (_, parts) in keys {
                    let from = parts.map { $0["from"] as String }, to = parts.map { $0["to"] as String }
                    let action = (parts[0]["on_delete"] as String).lowercased()
                    schema.foreignKeys.insert("\(table)(\(from.joined(separator: ", "))) -> \(parts[0]["table"] as String)(\(to.joined(separator: ", "))) on delete \(action)")
                }
            }
            for trigger in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'trigger'") { schema.triggers.insert(trigger) }
            return schema
        }
    }

    static func postgresSchema(_ store: PostgresStore, schema name: String) async throws -> Schema {
        var schema = Schema()
        let skip = "'zephir_migrations'"
        for row in try await store.rows("""
            SELECT c.table_name, c.column_name, c.data_type, c.is_nullable,
                   (SELECT k.ordinal_position::text FROM information_schema.key_column_usage k
                    JOIN information_schema.table_constraints t ON t.constraint_name = k.constraint_name AND t.table_schema = k.table_schema
                    WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_schema = c.table_schema AND k.table_name = c.table_name
                      AND k.column_name = c.column_name)
            FROM information_schema.columns c WHERE c.table_schema = '\(name)' AND c.table_name <> \(skip)
            """) {
            let (table, column, type, nullable, pk) = (row[0]!, row[1]!, row[2]!, row[3]!, row[4])
            schema.columns.insert("\(table).\(column) \(neutral(type))" + (nullable == "NO" ? " not null" : "") + (pk.map { " pk \($0)" } ?? ""))
        }
        for row in try await store.rows("""
            SELECT i.relname::text, t.relname::text, ix.indisunique::text,
                   (SELECT string_agg(a.attname, ', ' ORDER BY k.n) FROM unnest(ix.indkey) WITH ORDINALITY AS k(attnum, n)
                    JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum)
            FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = '\(name)' AND NOT ix.indisprimary AND t.relname <> \(skip)
            """) {
            schema.indexes.insert("\(row[0]!) \(row[1]!)(\(row[3]!))" + (row[2] == "true" ? " unique" : ""))
        }
        for row in try await store.rows("""
            SELECT t.relname::text, c.contype::text, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = '\(name)' AND c.contype IN ('f', 'c')
            """) {
            let (table, kind, definition) = (row[0]!, row[1]!, row[2]!)
            if kind == "c" {
                let column = definition.dropFirst("CHECK (".count).drop { $0 == "(" }.prefix { $0.isLetter || $0 == "_" }
                schema.checked.insert("\(table).\(column)")
                continue
            }
            // FOREIGN KEY (a, b) REFERENCES t(a, b) ON DELETE CASCADE
            let parts = definition.replacingOccurrences(of: "FOREIGN KEY ", with: "").components(separatedBy: " REFERENCES ")
            let target = parts[1].components(separatedBy: " ON DELETE ")
            let action = target.count > 1 ? target[1].lowercased() : "no action"
            let referenced = target[0].replacingOccurrences(of: "\(name).", with: "")
            schema.foreignKeys.insert("\(table)\(parts[0]) -> \(referenced) on delete \(action)")
        }
        for row in try await store.rows("""
            SELECT DISTINCT tg.tgname::text FROM pg_trigger tg JOIN pg_class t ON t.oid = tg.tgrelid JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = '\(name)' AND NOT tg.tgisinternal
            """) {
            schema.triggers.insert(row[0]!)
        }
        return schema
    }

    @Test func bothStoresListTheSameMigrations() {
        #expect(SQLiteSchema.migrator.migrations == PostgresSchema.migrations.map(\.identifier))
    }

    @Test(.enabled(if: StoreFixture.postgresURL != nil, "needs ZEPHIR_TEST_POSTGRES_URL")) func bothStoresHaveTheSameSchema() async throws {
        let server = try #require(StoreFixture.postgresURL)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zm-parity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try SQLiteStore(path: folder.appendingPathComponent("parity.db").path)
        try await sqlite.migrate()
        let name = "zm_parity_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let postgres = try PostgresStore.open(url: StoreFixture.postgresURL(server, schema: name))
        try await postgres.migrate()
        defer { Task { try? await postgres.dropSchema() } }

        let a = try await Self.sqliteSchema(sqlite), b = try await Self.postgresSchema(postgres, schema: name)
        #expect(a.columns.count > 50, "\(a)")
        #expect(a == b, "\(a.difference(b))")
    }
}
