import Foundation
import ZephirTestSupport
import Testing

/// A PostgreSQL server seen from outside the program, through `psql` (PostgreSQL's client):
/// the session's server (`ZEPHIR_TEST_POSTGRES_URL`) or a ``ThrowawayPostgres``.
struct PostgresServer: Sendable {
    /// A libpq URL of the server, as `psql` takes it (`postgres://USER@HOST:PORT/DB?sslmode=disable`).
    let url: String

    /// The session's server, if `ZEPHIR_TEST_POSTGRES_URL` names one.
    static let session: PostgresServer? = {
        let url = ProcessInfo.processInfo.environment["ZEPHIR_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty ? nil : PostgresServer(url: url)
    }()

    static let sessionMissing: Comment = """
        PostgreSQL fault cases skipped: set ZEPHIR_TEST_POSTGRES_URL=postgres://USER@HOST:PORT/DB to run them against a server \
        (each test uses a schema of its own), or run .ci/run, which starts a throwaway server
        """

    /// The session's server.
    /// - Throws: a test cancellation saying how to run the case when there is none.
    static func requireSession() throws -> PostgresServer {
        guard let session else { try Test.cancel(sessionMissing) }
        return session
    }

    /// The `database:` URL of a configuration using `schema` on this server, as `user` (the
    /// server's user unless given), with a password and an `application_name` if given.
    func storeURL(schema: String, user: String? = nil, password: String? = nil, applicationName: String? = nil) -> String {
        var components = URLComponents(string: url)!
        if let user { components.user = user }
        if let password { components.password = password }
        var items = components.queryItems ?? []
        items.append(URLQueryItem(name: "schema", value: schema))
        if let applicationName { items.append(URLQueryItem(name: "application_name", value: applicationName)) }
        components.queryItems = items
        return components.string!
    }

    /// A fresh name for a test's schema or role: `PREFIX_` and 12 random hex digits.
    static func name(_ prefix: String) -> String {
        prefix + "_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
    }

    /// Runs `sql` (one or more statements) with `psql`; its trimmed output.
    /// - Throws: ``DatabaseProbe/Failed`` with psql's error when it fails.
    @discardableResult
    func psql(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        let child = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, url],
                                     in: FileManager.default.temporaryDirectory)
        let result = await child.wait(limit: 120, sourceLocation: sourceLocation)
        guard result.code == 0 else { throw DatabaseProbe.Failed(description: "psql failed (\(result.code)) on \(sql.prefix(200)): \(result.stderr.prefix(2000))") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Starts `psql` running `sql` in a session named `applicationName` and leaves it running
    /// (a session holding a lock, say); ``terminate(_:)`` ends that session.
    func start(_ sql: String, applicationName: String, in folder: URL) throws -> ChildProcess {
        let named = url + (url.contains("?") ? "&" : "?") + "application_name=" + applicationName
        return try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql, named],
                                in: folder)
    }

    /// Ends the sessions named `applicationName` on the server (a killed client's session may
    /// otherwise outlive it, until it next reads from its socket).
    func terminate(_ applicationName: String) async throws {
        try await psql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '\(applicationName)'")
    }

    /// Whether a session named `applicationName` is connected.
    func hasSession(_ applicationName: String) async throws -> Bool {
        try await psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = '\(applicationName)'") != "0"
    }

    /// Waits (up to `seconds`) until no session named `applicationName` is left: the server has
    /// noticed that a killed client is gone and ended its transaction.
    func waitUntilGone(_ applicationName: String, seconds: Double = 60) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try await !hasSession(applicationName) { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// Runs `body` with a new login role (named `PREFIX_…`, created with `attributes`, then
    /// altered by `settings`), then drops it and revokes what it was granted.
    func withRole(_ prefix: String, _ attributes: String = "", settings: String? = nil, _ body: (String) async throws -> Void) async throws {
        let role = Self.name(prefix)
        try await psql("CREATE ROLE \(role) LOGIN \(attributes)" + (settings.map { "; ALTER ROLE \(role) SET \($0)" } ?? ""))
        do {
            try await body(role)
        } catch {
            _ = try? await psql("DROP OWNED BY \(role); DROP ROLE \(role)")
            throw error
        }
        try await psql("DROP OWNED BY \(role); DROP ROLE \(role)")
    }

    /// Drops `schema` and everything in it.
    func dropSchema(_ schema: String) async {
        _ = try? await psql("DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }

    /// Reads what `schema` holds, as ``DatabaseProbe`` reads a SQLite database: the same digest
    /// over the same rows of the root content and the layers' files, the counts, the layers and
    /// the runs. `integrity` is `ok` when every B-tree index of the schema passes `amcheck`'s
    /// `bt_index_check` (heap included) and is `no-amcheck` when the extension is not installed;
    /// `foreignKeyViolations` counts child rows (variables, model services, layer files,
    /// conflicts) whose parent row is missing, whatever constraints the schema declares.
    func probe(schema: String) async throws -> DatabaseProbe.State {
        let exists = try await psql("SELECT to_regclass('\(schema).model') IS NOT NULL")
        guard exists == "t" else {
            return DatabaseProbe.State(integrity: "ok", foreignKeyViolations: 0, content: "no-schema", models: 0, variables: 0, layers: [:],
                                       runs: [], orphanConflicts: 0, conflictsByRun: [:])
        }
        let hasAmcheck = try await psql("""
            SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'amcheck')
                OR EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'amcheck')
            """) == "t"
        if hasAmcheck { try await psql("CREATE EXTENSION IF NOT EXISTS amcheck") }
        let tables: [(String, String)] = [
            ("version", "name, label, end_of_support, source, digest"),
            ("release", "name, version, status, date, source, digest"),
            ("service", "release, name, description, packages, depends, source, digest"),
            ("model", "release, name, origin, parent, description, source, digest"),
            ("model_service", "release, model, position, service"),
            ("variable", "release, model, position, name, type, default_value, mandatory, description, choices"),
            ("layer_file", "source, path, sha256, size"),
        ]
        let rows = tables.map { "SELECT '\($0.0)' || ROW(\($0.1))::text AS line FROM \($0.0)" }.joined(separator: " UNION ALL ")
        let indexCheck = hasAmcheck ? """
            (SELECT count(*) FROM (SELECT bt_index_check(i.indexrelid::regclass, true) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             JOIN pg_am a ON a.oid = c.relam WHERE c.relnamespace = '\(schema)'::regnamespace AND a.amname = 'btree') checked) >= 0
            """ : "NULL"
        let sql = """
            SET search_path TO \(schema), public;
            SELECT json_build_object(
              'integrity', CASE WHEN \(indexCheck) IS NULL THEN 'no-amcheck' ELSE 'ok' END,
              'foreignKeyViolations',
                (SELECT count(*) FROM variable v WHERE NOT EXISTS (SELECT 1 FROM model m WHERE m.release = v.release AND m.name = v.model))
                + (SELECT count(*) FROM model_service s WHERE NOT EXISTS (SELECT 1 FROM model m WHERE m.release = s.release AND m.name = s.model))
                + (SELECT count(*) FROM layer_file f WHERE NOT EXISTS (SELECT 1 FROM blob b WHERE b.sha256 = f.sha256))
                + (SELECT count(*) FROM layer_file f WHERE NOT EXISTS (SELECT 1 FROM source_layer l WHERE l.source = f.source)),
              'content', (SELECT md5(coalesce(string_agg(line, E'\\n' ORDER BY line COLLATE "C"), '')) FROM (\(rows)) x),
              'models', (SELECT count(*) FROM model WHERE origin = 'root'),
              'variables', (SELECT count(*) FROM variable),
              'layers', (SELECT coalesce(json_object_agg(source, version), '{}'::json) FROM source_layer),
              'runs', (SELECT coalesce(json_agg(json_build_object('id', id, 'status', status, 'added', models_added, 'changed', models_changed,
                        'removed', models_removed, 'conflictCount', conflict_count, 'sources', sources) ORDER BY id), '[]'::json) FROM run),
              'orphanConflicts', (SELECT count(*) FROM conflict WHERE run NOT IN (SELECT id FROM run)),
              'conflictsByRun', (SELECT coalesce(json_object_agg(run::text, n), '{}'::json) FROM (SELECT run, count(*) AS n FROM conflict GROUP BY run) c)
            )
            """
        let output = try await psql(sql)
        do {
            return try JSONDecoder().decode(DatabaseProbe.State.self, from: Data(output.utf8))
        } catch {
            throw DatabaseProbe.Failed(description: "probe of schema \(schema): \(error): \(output.prefix(2000))")
        }
    }
}
