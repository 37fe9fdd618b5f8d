import Foundation
import GRDB
@testable import PostgresStore
import PostgresNIO
@testable import SQLiteStore
import Testing
@testable import ZephirCore

/// Conflicts' structured fields (SPEC §7, migration `v5-conflict-fields`) in both stores:
/// written with the run, read back as written, carried forward, and absent for rows written
/// before the migration.
@Suite struct ConflictFieldsStoreTests {
    /// One conflict of each kind with the fields the resolver, the planner and the engine give it.
    static let conflicts: [Conflict] = [
        Conflict(kind: .shadowed, subject: "2.7.1/amon", sources: ["eole", "ministry", "acme"], detail: "eole wins",
                 fields: .init(winner: "eole", losers: ["ministry", "acme"])),
        Conflict(kind: .outOfScope, subject: "2.7.1/amon", sources: ["acme"], detail: "outside", fields: .init(scope: ["2.7.*/acme-*", "2.8.*"])),
        Conflict(kind: .outOfScope, subject: "2.9", sources: ["acme"], detail: "add-on", fields: .init(role: "addon")),
        Conflict(kind: .inheritanceCycle, subject: "2.7.1/a", sources: ["acme"], detail: "a → b → a", fields: .init(members: ["2.7.1/a", "2.7.1/b"])),
        Conflict(kind: .danglingReference, subject: "2.7.1/c", sources: ["acme"], detail: "missing",
                 fields: .init(missing: Conflict.Reference(.service, "2.7.1/service/web"))),
        Conflict(kind: .overrideInvalidValue, subject: "2.7.1/lycee", sources: ["eole"], detail: "strict",
                 fields: .init(variable: "mode", value: "strict", expected: "choice", choices: ["souple"])),
        Conflict(kind: .overrideRedundant, subject: "2.7.1/lycee", sources: ["eole"], detail: "default",
                 fields: .init(variable: "port", value: "22", expected: "22")),
        Conflict(kind: .parentRemoved, subject: "2.7.1/orphan", detail: "gone", fields: .init(parent: "2.7.1/nobody")),
        Conflict(kind: .serviceMissing, subject: "2.7.1/lycee", detail: "web", fields: .init(service: "2.7.1/service/web")),
        Conflict(kind: .nameCollision, subject: "2.7.1/lycee", sources: ["eole"], detail: "collides"),
        Conflict(kind: .sourceRejected, subject: "acme", sources: ["acme"], detail: "digest-mismatch: …", fields: .init(reason: "digest-mismatch")),
        Conflict(kind: .sourceUnavailable, subject: "beta", sources: ["beta"], detail: "timeout", fields: .init(reason: "timeout")),
    ]

    @Test(arguments: StoreFixture.allCases)
    func fieldsRoundTripAndAreCarriedForward(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            let first = try await store.commit(RunCommit(run: Sample.run(), conflicts: Self.conflicts))
            #expect(try await store.conflicts(all: true).map(\.conflict) == Self.conflicts)

            // An unchanged run copies the resolution conflicts, fields included, from another connection's view too.
            let second = try await store.commit(RunCommit(run: Sample.run(.unchanged), carryForwardConflicts: true))
            let carried = try await database.reopen().conflicts(all: true).filter { $0.run == second }.map(\.conflict)
            #expect(carried == Self.conflicts.filter { !$0.kind.isSourceLevel })
            #expect(carried.first { $0.kind == .inheritanceCycle }?.fields.members == ["2.7.1/a", "2.7.1/b"])
            #expect(try await store.conflicts(all: true).filter { $0.run == first }.count == Self.conflicts.count)
        }
    }

    @Test(arguments: StoreFixture.allCases)
    func conflictsWrittenBeforeTheMigrationHaveNoFields(_ fixture: StoreFixture) async throws {
        try await withDatabase(fixture) { database in
            let store = database.store
            _ = try await store.commit(RunCommit(run: Sample.run(), conflicts: Self.conflicts))
            // The database as it was before `v5-conflict-fields`, with its conflicts; then migrated again.
            try await Self.execute(["ALTER TABLE conflict DROP COLUMN fields", fixture.forgetMigration("v5-conflict-fields")], in: store)
            try await store.migrate()

            let old = try await store.conflicts(all: true).map(\.conflict)
            #expect(old.count == Self.conflicts.count && old.allSatisfy(\.fields.isEmpty))
            #expect(old.map(\.detail) == Self.conflicts.map(\.detail))
            let new = try await store.commit(RunCommit(run: Sample.run(), conflicts: Self.conflicts))
            #expect(try await store.conflicts(all: true).filter { $0.run == new }.map(\.conflict) == Self.conflicts)
        }
    }

    /// Runs SQL statements on the store's own connection, in one transaction.
    static func execute(_ all: [String], in store: any ModelStore) async throws {
        switch store {
        case let sqlite as SQLiteStore:
            try await sqlite.writing("rewinding the schema") { db in for statement in all { try db.execute(sql: statement) } }
        case let postgres as PostgresStore:
            try await postgres.writing("rewinding the schema") { connection in
                for statement in all { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: postgres.logger) }
            }
        default:
            Issue.record("no raw SQL for \(type(of: store))")
        }
    }
}

extension StoreFixture {
    /// The statement that forgets migration `identifier` was applied.
    func forgetMigration(_ identifier: String) -> String {
        switch self {
        case .sqlite: return "DELETE FROM grdb_migrations WHERE identifier = '\(identifier)'"
        case .postgres: return "DELETE FROM zephir_migrations WHERE identifier = '\(identifier)'"
        }
    }
}
