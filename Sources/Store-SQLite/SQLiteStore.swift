import Foundation
import GRDB
import ZephirCore

/// The embedded store (SPEC §8): one SQLite file in WAL mode, foreign keys on.
///
/// Open it with ``open(url:)`` (`sqlite:PATH`) or ``init(path:)``, then call ``migrate()``
/// before anything else. Reads run concurrently; a run is applied (``RunApplier``) in one
/// write transaction, so a crash leaves the database before or after the run, never in between.
/// The schema is described in `docs/schema.md`.
///
/// ## Topics
///
/// - ``open(url:)``, ``init(path:)``, ``migrate()``
/// - ``withRunLock(timeout:_:)``, ``transaction(_:_:)``
public final class SQLiteStore: ModelStore {
    /// The database file, absolute.
    public let path: String
    let pool: DatabasePool
    private let runLock: RunLock
    /// Set when a run's rollback failed, leaving the writer inside its transaction; the next
    /// ``transaction(_:_:)`` rolls that back before it begins (and only then: a transaction
    /// still in flight is never rolled back by another).
    let abandonedTransaction = LockedFlag()

    /// Opens (creating it and its parent folders if needed) the database at `path`.
    /// - Throws: ``StoreError/unreachable(_:)`` when the file cannot be opened as a SQLite database.
    public init(path: String) throws {
        let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true))
            .standardizedFileURL.path
        self.path = absolute
        self.runLock = RunLock(database: absolute)
        let folder = (absolute as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError.unreachable("\(absolute): cannot create the folder \(folder): \(error.localizedDescription); check the path and permissions")
        }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        // A run's transaction spans several accesses of the writer (see ``transaction(_:_:)``).
        configuration.allowsUnsafeTransactions = true
        configuration.prepareDatabase { db in
            // 16 KiB pages (for a new database): fewer, larger writes for runs of a million rows and
            // for the stored files; statement journals in memory: a multi-row INSERT under foreign
            // keys would otherwise copy each page it touches to a temporary file first.
            try db.execute(sql: "PRAGMA page_size = 16384; PRAGMA temp_store = MEMORY")
        }
        configuration.label = "zephir-models"
        do {
            pool = try DatabasePool(path: absolute, configuration: configuration)
        } catch let error as DatabaseError {
            throw StoreError.unreachable("\(absolute): \(error.message ?? "\(error.resultCode)"); check the path and permissions")
        } catch {
            throw StoreError.unreachable("\(absolute): \(error); check the path and permissions")
        }
    }

    /// Opens the database a configuration names: `sqlite:PATH`, PATH absolute or relative to the
    /// current folder (`sqlite:///abs/path` is accepted too).
    /// - Throws: ``StoreError/unreachable(_:)`` for any other URL, or when the file cannot be opened.
    public static func open(url: String) throws -> SQLiteStore {
        guard url.hasPrefix("sqlite:") else {
            throw StoreError.unreachable("\(url): not a SQLite database URL; write sqlite:PATH, such as sqlite:zephir-models.db")
        }
        var path = String(url.dropFirst("sqlite:".count))
        if path.hasPrefix("//") { path.removeFirst(2) }
        guard !path.isEmpty else {
            throw StoreError.unreachable("\(url): the database path is empty; write sqlite:PATH, such as sqlite:zephir-models.db")
        }
        return try SQLiteStore(path: path)
    }

    /// Creates the schema, or brings it up to date by running the migrations not yet applied.
    public func migrate() async throws {
        do {
            try SQLiteSchema.migrator.migrate(pool)
        } catch {
            throw storeError(error, doing: "migrating the schema")
        }
    }

    public func withRunLock<T: Sendable>(timeout: Duration, _ body: @Sendable () async throws -> T) async throws -> T {
        try await runLock.withLock(timeout: timeout, body)
    }

    // MARK: - Access

    /// Runs `body` in a read transaction, mapping failures to ``StoreError``.
    func reading<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw storeError(error, doing: doing)
        }
    }

    /// Runs `body` in a write transaction, mapping failures to ``StoreError``; a failure rolls it back.
    func writing<T: Sendable>(_ doing: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch {
            throw storeError(error, doing: doing)
        }
    }

    /// The ``StoreError`` a failure amounts to, naming the database and what was being done.
    func storeError(_ error: Error, doing: String) -> Error {
        switch error {
        case is StoreError, is CancellationError:
            return error
        case let error as DatabaseError:
            let message = error.message ?? "\(error.resultCode)"
            switch error.resultCode {
            case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT:
                return StoreError.corrupt("\(path): \(doing): \(message)")
            case .SQLITE_BUSY, .SQLITE_LOCKED:
                return StoreError.unreachable("\(path): \(doing): the database stayed busy (another program is writing to it); try again later")
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_FULL, .SQLITE_AUTH, .SQLITE_NOLFS:
                return StoreError.unreachable("\(path): \(doing): \(message); check the path and permissions")
            default:
                return StoreError.corrupt("\(path): \(doing): \(message)")
            }
        case let error as RowDecodingError:
            return StoreError.corrupt("\(path): \(doing): \(error)")
        case let error as DecodingError:
            return StoreError.corrupt("\(path): \(doing): \(error)")
        default:
            return error
        }
    }
}
