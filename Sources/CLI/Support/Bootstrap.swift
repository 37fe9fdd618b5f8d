import EOLESource
import ExternalSource
import FakeSource
import Foundation
import PostgresStore
import SQLiteStore
import ZephirCore

/// The one place where source kinds and store backends are chosen (like swift-log's bootstrap).
enum Bootstrap {
    /// Every source kind this program knows: adding a kind is one line here.
    static let sources = SourceRegistry([EOLESourceAdapter.self, ExternalSourceAdapter.self, FakeSourceAdapter.self])

    /// Loads the configuration (`--config`, else the default paths of SPEC §3).
    static func config(_ path: String?) throws -> Config {
        try ConfigLoader(registry: sources).load(path: try ConfigLoader.locate(path))
    }

    /// Opens the store named by `database:`, by URL scheme.
    static func store(_ config: Config) throws -> any ModelStore {
        let url = config.database
        if url.hasPrefix("sqlite:") { return try SQLiteStore.open(url: url) }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return try PostgresStore.open(url: url) }
        throw ConfigError(file: config.file, line: nil, "database: '\(PostgresLocation.mask(url))' is neither sqlite:PATH nor postgres://USER@HOST:PORT/DB")
    }

    /// The configuration and its store; the configuration's `database` has its password masked,
    /// as everything that prints it (`status`, `init`) must show it.
    static func open(_ path: String?) throws -> (Config, any ModelStore) {
        var config = try config(path)
        let store = try store(config)
        config.database = PostgresLocation.mask(config.database)
        return (config, store)
    }
}
