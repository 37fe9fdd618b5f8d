import Foundation
import ZephirTestSupport
import Testing

/// A ``SyncWorkspace`` whose configurations name a schema of their own on a PostgreSQL server,
/// synced by real processes whose sessions carry one `application_name` (so that a test can
/// watch them on the server).
final class PostgresWorkspace: @unchecked Sendable {
    let files: SyncWorkspace
    let server: PostgresServer
    let schema: String
    /// The `application_name` of every session of this workspace's syncs.
    let tag: String

    init(_ name: String, server: PostgresServer) {
        files = SyncWorkspace(name)
        self.server = server
        schema = PostgresServer.name("zm_fault")
        tag = PostgresServer.name("zm_sync")
    }

    /// The `database:` URL of this workspace, as the server's user unless `user` is given.
    func url(user: String? = nil, password: String? = nil) -> String {
        server.storeURL(schema: schema, user: user, password: password, applicationName: tag)
    }

    /// Writes `file` with one fake source and this workspace's schema (as `user` if given); returns its path.
    @discardableResult
    func configure(_ fake: FakeSpec, file: String = "config.yml", user: String? = nil) throws -> String {
        try files.configure(fake, file: file, database: url(user: user))
    }

    func start(_ arguments: [String]) throws -> ChildProcess { try files.start(arguments) }

    func run(_ arguments: [String], limit: Double = 300, sourceLocation: SourceLocation = #_sourceLocation) async throws -> ChildProcess.Result {
        try await files.run(arguments, limit: limit, sourceLocation: sourceLocation)
    }

    func sync(config: String = "config.yml") async throws -> ChildProcess.Result { try await files.sync(config: config) }

    func modelsList(config: String = "config.yml") async throws -> String { try await files.modelsList(config: config) }

    func probe() async throws -> DatabaseProbe.State { try await server.probe(schema: schema) }

    /// Whether a session of this workspace's syncs is inside a write transaction (it has a
    /// transaction id, which a session gets with its first write).
    func isWriting() async throws -> Bool {
        try await server.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(tag)' AND backend_xid IS NOT NULL") != "0"
    }
}

/// Runs `body` with a fresh workspace on `server`, then drops its schema.
func withPostgresWorkspace(_ name: String, server: PostgresServer, _ body: (PostgresWorkspace) async throws -> Void) async throws {
    let workspace = PostgresWorkspace(name, server: server)
    do {
        try await body(workspace)
    } catch {
        await server.dropSchema(workspace.schema)
        throw error
    }
    await server.dropSchema(workspace.schema)
}
