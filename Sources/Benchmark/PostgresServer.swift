import Foundation

/// The PostgreSQL server of `--store`, reached with `psql` (PostgreSQL's client): fresh schemas
/// for the syncs, row counts, the `COPY` of the floor.
struct PostgresServer {
    /// The server as `psql` and the peer take it: `postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=…]`.
    let url: String

    init(url: String) throws {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            throw BenchError("--store \(url): expected postgres://USER[:PASSWORD]@HOST:PORT/DB[?sslmode=disable]")
        }
        guard !url.contains("schema=") else { throw BenchError("--store: leave schema= out; each run syncs into a fresh schema of its own") }
        self.url = url
    }

    /// The `database:` URL of zephir-models for `schema` on this server.
    func storeURL(schema: String) -> String { url + (url.contains("?") ? "&" : "?") + "schema=" + schema }

    /// Runs `sql` with `psql` (standard input from the file `input` if given); the outcome, timed.
    @discardableResult
    func psql(_ sql: String, input: String? = nil, singleTransaction: Bool = false) throws -> ChildProcess.Outcome {
        try ChildProcess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"] + (singleTransaction ? ["-1"] : []) + ["-c", sql, url],
                             in: FileManager.default.temporaryDirectory, input: input)
    }

    func dropSchema(_ schema: String) throws {
        try psql("SET client_min_messages = warning; DROP SCHEMA IF EXISTS \(schema) CASCADE")
    }

    /// Rows a cold sync wrote in `schema` (models, variables, their services, services, releases, versions).
    func rowCount(schema: String) throws -> Int {
        let tables = ["model", "variable", "model_service", "service", "release", "version"]
        let sql = "SELECT " + tables.map { "(SELECT count(*) FROM \(schema).\($0))" }.joined(separator: " + ")
        let text = try psql(sql).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let count = Int(text) else { throw BenchError("row count of \(schema): \(text)") }
        return count
    }

    /// Whether `python` imports psycopg (the peer's PostgreSQL driver).
    static func importsPsycopg(_ python: String) -> Bool {
        (try? ChildProcess.run([python, "-c", "import psycopg"], in: FileManager.default.temporaryDirectory, check: false))?.status == 0
    }
}
