import Foundation
import Logging
import PostgresNIO
import ZephirCore

/// The production store (SPEC §8): a PostgreSQL database, possibly shared by several Zéphir
/// instances (one schema each, or one database each).
///
/// Open it with ``open(url:environment:)`` (`postgres://USER[:PASSWORD]@HOST:PORT/DB`, see
/// ``PostgresLocation``), then call ``migrate()`` before anything else. Reads go through a
/// small connection pool, each in one read-only snapshot; ``commit(_:)`` applies a whole run in
/// one transaction, bulk rows by `COPY`, so a crash or a lost connection leaves the database
/// before or after the run, never in between. ``withRunLock(timeout:_:)`` takes a session-level
/// advisory lock on a connection of its own, kept out of the pool for the run, and the run's
/// commit goes through that connection. The schema is the SQLite store's (`docs/schema.md`).
///
/// The password (URL, pgpass file or `PGPASSWORD`, see ``PostgresCredentials``) is never
/// logged nor shown: messages name the database by ``PostgresLocation/description``.
///
/// ## Topics
///
/// - ``open(url:environment:)``, ``migrate()``
/// - ``withRunLock(timeout:_:)``, ``commit(_:)``
public final class PostgresStore: ModelStore {
    /// The database, password masked in its description.
    public let location: PostgresLocation
    let client: PostgresClient
    private let connectionConfiguration: PostgresConnection.Configuration
    let logger: Logger
    /// Runs the pool's background work until the store goes away.
    private let running: Task<Void, Never>
    /// The name of this schema's run lock: its advisory lock key is `hashtextextended(name, 0)`.
    let runLockName: String

    /// Opens the store a configuration names; connects lazily (``migrate()`` is the first contact).
    /// - Throws: ``StoreError/unreachable(_:)`` when the URL is invalid.
    public static func open(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> PostgresStore {
        let location = try PostgresLocation(url: url)
        return try PostgresStore(location: location, password: PostgresCredentials.password(for: location, environment: environment))
    }

    /// A store on `location`, authenticating with `password` when the server asks for one.
    /// - Throws: ``StoreError/unreachable(_:)`` when the TLS settings cannot be set up.
    public init(location: PostgresLocation, password: String?) throws {
        self.location = location
        self.logger = Logger(label: "zephir-models.postgres")
        self.runLockName = "zephir-models run " + location.schemaName

        var parameters = [("client_encoding", "UTF8"), ("application_name", location.applicationName)]
        if let schema = location.schema { parameters.append(("search_path", schema)) }

        let tls: PostgresClient.Configuration.TLS
        let connectionTLS: PostgresConnection.Configuration.TLS
        do {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if location.sslMode != .verifyFull { configuration.certificateVerification = .none }
            switch location.sslMode {
            case .disable:
                tls = .disable
                connectionTLS = .disable
            case .prefer:
                tls = .prefer(configuration)
                connectionTLS = .prefer(try NIOSSLContext(configuration: configuration))
            case .require, .verifyFull:
                tls = .require(configuration)
                connectionTLS = .require(try NIOSSLContext(configuration: configuration))
            }
        } catch {
            throw StoreError.unreachable("\(location): cannot set up TLS: \(error)")
        }

        var configuration = PostgresClient.Configuration(host: location.host, port: location.port, username: location.user,
                                                         password: password, database: location.database, tls: tls)
        configuration.options.additionalStartupParameters = parameters
        configuration.options.maximumConnections = 4
        configuration.options.connectionIdleTimeout = .seconds(30)
        let client = PostgresClient(configuration: configuration)
        self.client = client
        self.running = Task { await client.run() }

        var connection = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                          password: password, database: location.database, tls: connectionTLS)
        connection.options.additionalStartupParameters = parameters
        self.connectionConfiguration = connection
    }

    deinit { running.cancel() }

    /// Creates the schema (and the `schema` of the URL), or brings it up to date by running the
    /// migrations not yet applied, in one transaction; concurrent migrations wait for each other.
    public func migrate() async throws {
        try await withConnection("migrating the schema") { connection in
            try await self.transaction(on: connection) { connection in
                let lock = "zephir-models migrate " + self.location.schemaName
                try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(lock), 0))", logger: self.logger)
                if let schema = self.location.schema {
                    let exists = try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)", logger: self.logger)
                        .collect().isEmpty == false
                    if !exists {
                        try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: self.logger)
                    }
                }
                // Checked first: an up-to-date schema needs no CREATE privilege.
                let tracked = try await connection.query("SELECT to_regclass('zephir_migrations') IS NOT NULL", logger: self.logger)
                    .decode(Bool.self).reduce(false) { $0 || $1 }
                if !tracked {
                    try await connection.query(PostgresQuery(unsafeSQL: PostgresSchema.migrationTable), logger: self.logger)
                }
                var applied = Set<String>()
                for try await identifier in try await connection.query("SELECT identifier FROM zephir_migrations", logger: self.logger)
                    .decode(String.self) {
                    applied.insert(identifier)
                }
                for migration in PostgresSchema.migrations where !applied.contains(migration.identifier) {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                    try await connection.query("INSERT INTO zephir_migrations (identifier) VALUES (\(migration.identifier))", logger: self.logger)
                    self.logger.debug("migrated the schema", metadata: ["database": "\(self.location)", "migration": "\(migration.identifier)"])
                }
            }
        }
    }

    /// Drops the URL's `schema` and everything in it (tests use one schema each); does nothing without one.
    func dropSchema() async throws {
        guard let schema = location.schema else { return }
        let logger = self.logger
        _ = try await withConnection("dropping the schema \(schema)") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"), logger: logger)
        }
    }

    /// Runs `sql` on a new connection, its rows' columns as text (cast non-text columns in `sql`).
    /// For tests and diagnostics.
    func rows(_ sql: String) async throws -> [[String?]] {
        let logger = self.logger
        return try await withConnection("running \(sql)") { connection in
            var rows: [[String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                rows.append(try row.map { try $0.decode(String?.self) })
            }
            return rows
        }
    }

    // MARK: - Run lock

    /// The connection holding a run lock, for the commits of the run.
    private struct HeldLock: Sendable {
        var store: ObjectIdentifier
        var connection: PostgresConnection
    }

    @TaskLocal private static var heldLock: HeldLock?

    /// Runs `body` holding the run lock of this database and schema: `pg_try_advisory_lock` of
    /// `hashtextextended('zephir-models run SCHEMA', 0)` (SCHEMA `public` unless the URL names one)
    /// on a connection of its own, polled every 50 ms until `timeout`; closing that connection
    /// at the end releases it, whatever happens. ``commit(_:)`` calls made by `body` go through
    /// that connection, so a run whose lock is lost cannot commit.
    /// - Throws: ``StoreError/locked(_:)`` when another session holds the lock for `timeout`.
    public func withRunLock<T: Sendable>(timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T {
        let connection = try await connect("taking the run lock")
        do {
            try await acquire(on: connection, timeout: timeout)
            let held = HeldLock(store: ObjectIdentifier(self), connection: connection)
            let value = try await Self.$heldLock.withValue(held) { try await body() }
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private func acquire(on connection: PostgresConnection, timeout: Duration) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let acquired: Bool
            do {
                let name = runLockName, logger = self.logger
                acquired = try await ConnectionWatch.run(on: connection) {
                    try await connection.query("SELECT pg_try_advisory_lock(hashtextextended(\(name), 0))", logger: logger).decode(Bool.self)
                        .reduce(false) { $0 || $1 }
                }
            } catch {
                throw storeError(error, doing: "taking the run lock", access: .read)
            }
            if acquired { return }
            if clock.now >= deadline { throw StoreError.locked(location.description) }
            try await Task.sleep(for: min(.milliseconds(50), deadline - clock.now))
        }
    }

    // MARK: - Access

    /// A new connection outside the pool; errors say why it failed (unlike a pool's retries).
    func connect(_ doing: String) async throws -> PostgresConnection {
        do {
            return try await PostgresConnection.connect(configuration: connectionConfiguration, id: 0, logger: logger)
        } catch {
            throw storeError(error, doing: doing, access: .read)
        }
    }

    /// Runs `body` on a new connection, closed afterwards; failures become ``StoreError``, and
    /// the connection closing ends the call (``ConnectionWatch``).
    func withConnection<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let connection = try await connect(doing)
        do {
            let value = try await ConnectionWatch.run(on: connection) { try await body(connection) }
            try? await connection.close()
            return value
        } catch {
            try? await connection.close()
            throw storeError(error, doing: doing, access: .schema)
        }
    }

    /// Runs `body` in one read-only snapshot on a pooled connection; the connection closing ends
    /// the call (``ConnectionWatch``).
    func reading<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await pooled(doing) { connection in
                try await self.transaction(on: connection, begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body)
            }
        } catch {
            throw storeError(error, doing: doing, access: .read)
        }
    }

    /// Runs `body` in one write transaction, on the run lock's connection when this task holds
    /// it, else on a pooled one; a failure rolls it back, and the connection closing ends the
    /// call (``ConnectionWatch``).
    func writing<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            if let held = Self.heldLock, held.store == ObjectIdentifier(self) {
                return try await ConnectionWatch.run(on: held.connection) { try await self.transaction(on: held.connection, body) }
            }
            return try await pooled(doing) { connection in try await self.transaction(on: connection, body) }
        } catch {
            throw storeError(error, doing: doing, access: .write)
        }
    }

    /// How long a call waits for a pooled connection before checking that the server can be
    /// reached at all. The pool keeps trying to connect to a server that refuses, and gives up
    /// only after a minute (postgres-nio's circuit breaker): a status or metrics request waited
    /// that long with the server down.
    static let poolWait: Duration = .seconds(3)

    /// Runs `body` on a pooled connection; the connection closing ends the call
    /// (``ConnectionWatch``). When none comes within ``poolWait``, a connection of its own says
    /// whether the server can be reached: if not, the call fails with that connection's error;
    /// if it can (the pool is only busy, or the server is at its connection limit or starting
    /// up), the call keeps waiting. Cancelling the caller cancels the work, whose own ending
    /// (a value, or its error) is what the call returns.
    private func pooled<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        let leased = LockedFlag()
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                try await self.client.withConnection { connection in
                    leased.set()
                    return try await ConnectionWatch.run(on: connection) { try await body(connection) }
                }
            }
            group.addTask {
                guard (try? await Task.sleep(for: Self.poolWait)) != nil, !leased.isSet else { return nil }
                do {
                    let probe = try await PostgresConnection.connect(configuration: self.connectionConfiguration, id: 0, logger: self.logger)
                    try? await probe.close()
                } catch where !leased.isSet && !Self.serverIsOnlyBusy(error) {
                    throw self.storeError(error, doing: doing, access: .read)
                } catch {}
                return nil
            }
            while let next = try await group.next() {
                if let value = next {
                    group.cancelAll()
                    return value
                }
            }
            throw CancellationError()
        }
    }

    /// Whether a refused connection still says the server is there and will take one later:
    /// too many connections (SQLSTATE class 53) or starting up (57P03).
    static func serverIsOnlyBusy(_ error: Error) -> Bool {
        guard let state = (error as? PSQLError)?.serverInfo?[.sqlState] else { return false }
        return state.hasPrefix("53") || state == "57P03"
    }

    /// `BEGIN`, `body`, `COMMIT`; `ROLLBACK` when `body` throws.
    func transaction<T: Sendable>(on connection: PostgresConnection, begin: String = "BEGIN",
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
        let value: T
        do {
            value = try await body(connection)
        } catch {
            // A connection the server dropped has no transaction left to roll back, and a query
            // sent on it may never be answered (postgres-nio 1.33): roll back live connections only.
            if !connection.isClosed && !Self.isConnectionLoss(error) {
                _ = try? await connection.query("ROLLBACK", logger: logger)
            }
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
        return value
    }

    /// Whether `error` is the connection's end (the server closed it, or the network failed)
    /// rather than an error the server answered.
    static func isConnectionLoss(_ error: Error) -> Bool {
        guard let error = error as? PSQLError, error.serverInfo == nil else { return false }
        return [.serverClosedConnection, .connectionError, .uncleanShutdown, .clientClosedConnection].contains(error.code)
    }

    /// What a failed operation needed of the database user, for the hint of a refused privilege.
    enum Access {
        /// Query commands: `USAGE` on the schema, `SELECT` on its tables.
        case read
        /// Sync, hold, acknowledgement, delivery records: `INSERT`, `UPDATE` and `DELETE` too.
        case write
        /// Creating or migrating the schema: `CREATE`.
        case schema
    }

    /// The ``StoreError`` a failure amounts to, naming the database (password masked), what was
    /// being done and, for a refused privilege, the `GRANT` that `access` needs.
    func storeError(_ error: Error, doing: String, access: Access) -> Error {
        let prefix = "\(location): \(doing)"
        let check = "check the URL, that the server runs and accepts this user, and the password (URL, PGPASSFILE or ~/.pgpass, PGPASSWORD)"
        switch error {
        case is StoreError, is SyncError, is CancellationError:
            return error
        case let error as PSQLError:
            if let info = error.serverInfo {
                let state = info[.sqlState] ?? ""
                let message = info[.message] ?? "error \(state)"
                if state == "57014" {
                    return StoreError.unreachable("""
                        \(prefix): \(message); the server cancels a statement that runs longer than the statement_timeout set for \
                        \(location.user) or the database (or that an administrator cancels): raise it (ALTER ROLE \(location.user) SET \
                        statement_timeout = …) or end the session holding locks on the tables of schema \(location.schemaName), then try again
                        """)
                }
                switch state.prefix(2) {
                case "08", "28", "3D", "53", "57":
                    return StoreError.unreachable("\(prefix): \(message); \(check)")
                case "40", "55":
                    return StoreError.unreachable("\(prefix): \(message); try again later")
                case "42" where state == "42501":
                    return StoreError.unreachable("\(prefix): \(message); \(privilegeHint(access))")
                default:
                    return StoreError.corrupt("\(prefix): \(message)")
                }
            }
            switch error.code {
            case .authMechanismRequiresPassword:
                return StoreError.unreachable("\(prefix): the server asks for a password and none was given; \(check)")
            case .sslUnsupported:
                return StoreError.unreachable("\(prefix): the server does not accept TLS connections; write sslmode=disable or sslmode=prefer in the URL, or enable TLS on the server")
            case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown,
                 .failedToAddSSLHandler, .unsupportedAuthMechanism, .saslError, .poolClosed:
                let reason = error.underlying.map { String(describing: $0) } ?? "\(error.code)"
                return StoreError.unreachable("\(prefix): \(reason); \(check)")
            default:
                return StoreError.corrupt("\(prefix): \(error.code)")
            }
        case let error as PostgresDecodingError:
            return StoreError.corrupt("\(prefix): column \(error.columnName) of type \(error.postgresType) cannot be read as \(error.targetType)")
        default:
            // The pool's own errors (a circuit breaker tripped after failed connections, a shutdown).
            return StoreError.unreachable("\(prefix): \(error); \(check)")
        }
    }
}

extension PostgresStore {
    /// What `access` needs that the user lacks, and the `GRANT` that gives it.
    func privilegeHint(_ access: Access) -> String {
        let user = location.user, schema = location.schemaName
        switch access {
        case .read:
            return "\(user) needs USAGE on schema \(schema) and SELECT on its tables: "
                + "GRANT USAGE ON SCHEMA \(schema) TO \(user); GRANT SELECT ON ALL TABLES IN SCHEMA \(schema) TO \(user)"
        case .write:
            return "this command writes and needs INSERT, UPDATE and DELETE on the tables of schema \(schema), which \(user) lacks: "
                + "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \(schema) TO \(user) (a user granted SELECT only runs the query commands)"
        case .schema:
            return "\(user) needs CREATE on the database (to create schema \(schema)) or on schema \(schema) to create or migrate its tables: "
                + "run this once as the schema's owner, or GRANT CREATE ON SCHEMA \(schema) TO \(user)"
        }
    }
}
