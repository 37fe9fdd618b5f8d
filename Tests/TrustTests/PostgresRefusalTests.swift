import Foundation
import ZephirTestSupport
import Testing

extension RealProcesses {
    /// A PostgreSQL server that refuses a sync (no server listening, a statement cancelled by
    /// its timeout, a user without the write privileges): `sync` exits 3, says which database
    /// (password masked) and what to do, and leaves the database as it was.
    @Suite struct PostgresRefusalTests {
        @Test func aRefusedConnectionExits3NamingTheURLWithItsPasswordMasked() async throws {
            let w = SyncWorkspace("zm-pg-refused")
            let port = freePort()
            let secret = "Pa55-w0rd-not-shown"
            try w.configure(FakeSpec(seed: 21, releases: 1, models: 5, variables: 5, version: 1),
                            database: "postgres://zm:\(secret)@127.0.0.1:\(port)/postgres?sslmode=disable&schema=zm_refused")
            for command in [["sync", "--json"], ["status"]] {
                let result = try await w.run(command + ["--config", "config.yml"], limit: 60)
                #expect(result.code == 3, "\(command): \(result.code) \(result.stderr)")
                #expect(result.stderr.contains("postgres://zm:***@127.0.0.1:\(port)/postgres?sslmode=disable&schema=zm_refused"),
                        "\(command) names the database: \(result.stderr)")
                #expect(result.stderr.contains("Connection refused") && result.stderr.contains("check the URL, that the server runs"),
                        "\(command) says why and what to do: \(result.stderr)")
                #expect(!result.stderr.contains(secret) && !result.stdout.contains(secret), "\(command) printed the password")
                #expect(result.seconds < 30, "\(command) took \(result.seconds) s to give up on a refused connection")
            }
        }

        @Test func aStatementTimeoutExits3AndLeavesTheDatabaseUnchanged() async throws {
            let server = try PostgresServer.requireSession()
            let owner = try #require(URLComponents(string: server.url)?.user)
            // A user with the owner's privileges whose statements the server cancels after 2 s.
            try await server.withRole("zm_slow", "IN ROLE \(owner)", settings: "statement_timeout = '2s'") { role in
                try await withPostgresWorkspace("zm-pg-timeout", server: server) { w in
                    try w.configure(FakeSpec(seed: 22, releases: 1, models: 20, variables: 20, version: 1))
                    let first = try await w.sync()
                    try #require(first.code == 0, "\(first.stderr)")
                    let before = try await w.probe()

                    // Another session holds SHARE locks on the tables of models and variables, which
                    // let the sync read but make its first write of them wait, until the timeout. It
                    // ends by itself after 100 s, should the test stop before ending it.
                    let lockerName = PostgresServer.name("zm_locker")
                    let locker = try server.start("""
                        BEGIN; SET LOCAL statement_timeout = '100s'; LOCK TABLE \(w.schema).model, \(w.schema).variable IN SHARE MODE;
                        SELECT pg_sleep(100); COMMIT
                        """, applicationName: lockerName, in: w.files.root)
                    var locked = false
                    for _ in 0..<3000 where !locked {
                        locked = try await server.psql("""
                            SELECT count(*) FROM pg_locks WHERE relation = '\(w.schema).variable'::regclass AND mode = 'ShareLock' AND granted
                            """) != "0"
                    }
                    try #require(locked, "the locking session never got its lock")

                    try w.configure(FakeSpec(seed: 23, releases: 1, models: 30, variables: 30, version: 2), user: role)
                    let slow = try await w.run(["sync", "--config", "config.yml"], limit: 120)
                    #expect(slow.code == 3, "\(slow.code): \(slow.stderr)")
                    #expect(slow.stderr.contains("postgres://\(role)@") && slow.stderr.contains("schema=\(w.schema)"), "names the database: \(slow.stderr)")
                    #expect(slow.stderr.contains("not applied, the database is unchanged"), "\(slow.stderr)")
                    #expect(slow.stderr.contains("statement_timeout") && slow.stderr.contains("ALTER ROLE \(role) SET statement_timeout"),
                            "says which limit it hit and how to raise it: \(slow.stderr)")
                    #expect(!slow.stderr.contains("check the URL"), "a timeout is not a connection problem: \(slow.stderr)")
                    #expect(slow.seconds < 60, "the timeout is 2 s; the sync took \(slow.seconds) s")

                    let after = try await w.probe()
                    #expect(after.content == before.content && after.runs == before.runs && after.layers == before.layers
                            && after.conflictsByRun == before.conflictsByRun, "the cancelled run left a trace")

                    // Once the locks are gone, the same user's sync completes.
                    try await server.terminate(lockerName)
                    _ = await locker.wait()
                    let again = try await w.sync()
                    #expect(again.code == 0, "\(again.stderr)")
                    #expect(try await w.probe().fakeVersion == 2)
                }
            }
        }

        @Test func aReadOnlyUserRunsTheQueryCommandsAndItsSyncSaysWhichPrivilegeIsMissing() async throws {
            let server = try PostgresServer.requireSession()
            try await server.withRole("zm_reader") { role in
                try await withPostgresWorkspace("zm-pg-reader", server: server) { w in
                    let fake = FakeSpec(seed: 24, releases: 1, models: 30, variables: 20, version: 1)
                    try w.configure(fake)
                    let first = try await w.sync()
                    try #require(first.code == 0, "\(first.stderr)")
                    try await server.psql("GRANT USAGE ON SCHEMA \(w.schema) TO \(role); GRANT SELECT ON ALL TABLES IN SCHEMA \(w.schema) TO \(role)")
                    try w.configure(fake, file: "reader.yml", user: role)

                    // Every query command answers the reader as it answers the owner (but for the
                    // user in the database URL that `status` prints).
                    let owner = try #require(URLComponents(string: server.url)?.user)
                    for command in [["status", "--json"], ["models", "list", "--json"], ["history", "--json"], ["conflicts", "--json"], ["status"]] {
                        let asOwner = try await w.run(command + ["--config", "config.yml"])
                        let asReader = try await w.run(command + ["--config", "reader.yml"])
                        #expect(asOwner.code == 0 && asReader.code == 0, "\(command): owner \(asOwner.code), reader \(asReader.code): \(asReader.stderr)")
                        let seen = asReader.stdout.replacingOccurrences(of: "postgres://\(role)@", with: "postgres://\(owner)@")
                        #expect(seen == asOwner.stdout && !seen.isEmpty, "\(command): the reader sees something else: \(asReader.stdout.prefix(1000))")
                    }
                    let before = try await w.probe()

                    try w.configure(fake.at(2), file: "reader.yml", user: role)
                    let sync = try await w.run(["sync", "--config", "reader.yml"])
                    #expect(sync.code == 3, "\(sync.code): \(sync.stderr)")
                    #expect(sync.stderr.contains("postgres://\(role)@") && sync.stderr.contains("permission denied"), "\(sync.stderr)")
                    #expect(sync.stderr.contains("needs INSERT, UPDATE and DELETE on the tables of schema \(w.schema)")
                            && sync.stderr.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(w.schema) TO \(role)"),
                            "says which privilege is missing: \(sync.stderr)")
                    let after = try await w.probe()
                    #expect(after.content == before.content && after.runs == before.runs, "the refused run left a trace")

                    // Granted the write privileges, the same user syncs.
                    try await server.psql("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(w.schema) TO \(role)")
                    let granted = try await w.run(["sync", "--config", "reader.yml"])
                    #expect(granted.code == 0, "\(granted.stderr)")
                    #expect(try await w.probe().fakeVersion == 2)
                }
            }
        }
    }
}
