import Foundation
@testable import PostgresStore
import Testing
import ZephirCore

/// `database: postgres://…` URLs, where the password comes from, and that it never shows.
@Suite struct PostgresLocationTests {
    @Test func aFullURLIsParsed() throws {
        let location = try PostgresLocation(
            url: "postgresql://zephir:s%3Acret@db.example.org:6432/models?sslmode=require&schema=zephir_a&application_name=zm-a")
        #expect(location.host == "db.example.org" && location.port == 6432 && location.database == "models")
        #expect(location.user == "zephir" && location.password == "s:cret")
        #expect(location.sslMode == .require && location.schema == "zephir_a" && location.applicationName == "zm-a")
        #expect(location.description == "postgresql://zephir:***@db.example.org:6432/models?sslmode=require&schema=zephir_a&application_name=zm-a")
    }

    @Test func defaults() throws {
        let location = try PostgresLocation(url: "postgres://zephir@[::1]/models")
        #expect(location.host == "::1" && location.port == 5432 && location.password == nil)
        #expect(location.sslMode == .prefer && location.schema == nil && location.applicationName == "zephir-models")
        #expect(location.description == "postgres://zephir@[::1]/models")
    }

    @Test(arguments: [
        ("postgres://h:5432/db", "the user is missing"),
        ("postgres://u:pw@h:5432/", "the database name is missing"),
        ("postgres://u:pw@h/db?sslmode=sometimes", "sslmode 'sometimes'"),
        ("postgres://u:pw@h/db?schema=Bad-Name", "schema 'Bad-Name'"),
        ("postgres://u:pw@h/db?search_path=x", "unknown option 'search_path'"),
        ("mysql://u:pw@h/db", "not a PostgreSQL URL"),
    ])
    func invalidURLsSayWhatToWrite(_ url: String, _ why: String) {
        let error = #expect(throws: StoreError.self) { _ = try PostgresLocation(url: url) }
        guard case .unreachable(let message)? = error else { Issue.record("\(url): \(String(describing: error))"); return }
        #expect(message.contains(why) && message.contains("postgres://USER[:PASSWORD]@HOST[:PORT]/DB"), "\(message)")
        #expect(!message.contains(":pw@"), "the password shows: \(message)")
    }

    @Test func masking() {
        #expect(PostgresLocation.mask("postgres://u:secret@h:5432/db?x=y") == "postgres://u:***@h:5432/db?x=y")
        #expect(PostgresLocation.mask("postgres://u@h/db") == "postgres://u@h/db")
        #expect(PostgresLocation.mask("postgres://u:a:b@h/db") == "postgres://u:***@h/db")
        #expect(PostgresLocation.mask("sqlite:state.db") == "sqlite:state.db")
        #expect(PostgresLocation.mask("sqlite:///tmp/a@b:c/db") == "sqlite:///tmp/a@b:c/db")
    }

    @Test func theURLsPasswordComesFirstThenThePassFileThenPGPASSWORD() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("zm-pgpass-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("pgpass")
        try Data("""
            # comment
            other:5432:models:zephir:wrong-host
            db.example.org:*:models:zephir:from\\:file\\\\
            *:*:*:*:anything

            """.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
        let environment = ["PGPASSFILE": file.path, "PGPASSWORD": "from-env", "HOME": folder.path]

        let inURL = try PostgresLocation(url: "postgres://zephir:from-url@db.example.org/models")
        #expect(PostgresCredentials.password(for: inURL, environment: environment) == "from-url")
        let fromFile = try PostgresLocation(url: "postgres://zephir@db.example.org:6432/models")
        #expect(PostgresCredentials.password(for: fromFile, environment: environment) == "from:file\\")
        let wildcard = try PostgresLocation(url: "postgres://someone@elsewhere/other")
        #expect(PostgresCredentials.password(for: wildcard, environment: environment) == "anything")

        // A pass file others can read is ignored, as libpq does.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file.path)
        #expect(PostgresCredentials.password(for: fromFile, environment: environment) == "from-env")
        #expect(PostgresCredentials.password(for: fromFile, environment: ["HOME": folder.path]) == nil)
    }

    @Test func aServerThatCannotBeReachedIsReportedWithoutThePassword() async throws {
        let store = try PostgresStore.open(url: "postgres://zephir:sekret-pw@127.0.0.1:1/models?sslmode=disable", environment: [:])
        let error = await #expect(throws: StoreError.self) { try await store.migrate() }
        guard case .unreachable(let message)? = error else { Issue.record("\(String(describing: error))"); return }
        #expect(message.contains("postgres://zephir:***@127.0.0.1:1/models") && !message.contains("sekret"), "\(message)")
        #expect(message.contains("check the URL"))
    }
}
