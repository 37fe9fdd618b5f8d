import Foundation

/// The password of a ``PostgresLocation``: from the URL, else a pgpass-style file, else `PGPASSWORD`.
///
/// The file is `PGPASSFILE`, or `~/.pgpass`; each line is `host:port:database:user:password`,
/// where a field may be `*` and `\:` or `\\` escape a colon or a backslash; the first matching
/// line wins. As with libpq, a file that its group or others can read is ignored.
public enum PostgresCredentials {
    /// The password to use, or `nil` to connect without one.
    public static func password(for location: PostgresLocation, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let password = location.password { return password }
        let file = environment["PGPASSFILE"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass"
        if let password = fromFile(file, location: location) { return password }
        if let password = environment["PGPASSWORD"] { return password }
        return nil
    }

    /// The password of the first line of the pgpass file `path` that matches `location`.
    static func fromFile(_ path: String, location: PostgresLocation) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              attributes[.type] as? FileAttributeType == .typeRegular,
              let permissions = attributes[.posixPermissions] as? Int, permissions & 0o077 == 0,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        let wanted = [location.host, String(location.port), location.database, location.user]
        for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") { continue }
            let fields = split(line)
            guard fields.count == 5 else { continue }
            let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in field == "*" || field == value }
            if matches { return fields[4] }
        }
        return nil
    }

    /// The fields of one line, split on unescaped colons, with escapes removed.
    private static func split(_ line: Substring) -> [String] {
        var fields: [String] = []
        var current = ""
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == ":" && fields.count < 4 {
                fields.append(current)
                current = ""
            } else {
                current.append(character)
            }
        }
        fields.append(current)
        return fields
    }
}
