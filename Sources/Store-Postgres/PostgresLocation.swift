import Foundation
import ZephirCore

/// Where a PostgreSQL store lives, parsed from a configuration's `database:` URL.
///
/// `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?OPTION=VALUE&…]` (or `postgresql://`), with the
/// options `sslmode` (`disable`, `prefer` (the default), `require`, `verify-full`), `schema`
/// (the schema holding the tables, created if missing; several instances can share one database
/// with one schema each) and `application_name`. The password is kept apart from everything
/// that can be printed: ``description`` masks it.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// How the connection is encrypted, as libpq's `sslmode`.
    public enum SSLMode: String, Sendable, Hashable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    /// The password written in the URL, if any (see ``PostgresCredentials`` for the other places).
    public var password: String?
    public var database: String
    public var sslMode: SSLMode
    /// The schema holding the tables; `nil` for the server's default (`public`).
    public var schema: String?
    public var applicationName: String

    /// The URL as given, password masked: safe for messages and logs.
    public let description: String

    /// Parses a `postgres://` URL.
    /// - Throws: ``StoreError/unreachable(_:)`` naming the URL (password masked) and what to write instead.
    public init(url: String) throws {
        let masked = Self.mask(url)
        func invalid(_ why: String) -> StoreError {
            StoreError.unreachable("\(masked): \(why); write postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=disable|require]")
        }
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else { throw invalid("not a PostgreSQL URL") }
        guard let components = URLComponents(string: url) else { throw invalid("not a valid URL") }
        guard let host = components.host, !host.isEmpty else { throw invalid("the host is missing") }
        guard let user = components.user, !user.isEmpty else { throw invalid("the user is missing") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/") else { throw invalid("the database name is missing") }

        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        guard (1...65535).contains(port) else { throw invalid("the port \(port) is out of range") }
        self.user = user
        self.password = components.password
        self.database = path
        self.description = masked

        var sslMode = SSLMode.prefer
        var schema: String?
        var applicationName = "zephir-models"
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = SSLMode(rawValue: value) else {
                    throw invalid("sslmode '\(value)' is not one of \(SSLMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                sslMode = mode
            case "schema":
                guard Self.isPlainName(value) else {
                    throw invalid("schema '\(value)' must be lowercase letters, digits and underscores, starting with a letter")
                }
                schema = value
            case "application_name":
                guard !value.isEmpty, value.utf8.count < 64, value.allSatisfy({ $0.isASCII && !$0.isNewline }) else {
                    throw invalid("application_name must be 1 to 63 ASCII characters")
                }
                applicationName = value
            default:
                throw invalid("unknown option '\(item.name)' (known: sslmode, schema, application_name)")
            }
        }
        self.sslMode = sslMode
        self.schema = schema
        self.applicationName = applicationName
    }

    /// `url` with the password between `:` and `@` replaced by `***`.
    public static func mask(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@"),
              let colon = rest[..<at].firstIndex(of: ":") else { return url }
        return String(url[..<rest.index(after: colon)]) + "***" + String(url[at...])
    }

    /// The schema name, or `public`.
    var schemaName: String { schema ?? "public" }

    /// A lowercase SQL identifier that needs no quoting.
    static func isPlainName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.utf8.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
