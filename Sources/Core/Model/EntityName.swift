/// The rule every name of a datasource tree follows: `[a-z0-9][a-z0-9._-]*`.
public enum EntityName {
    /// Whether `name` is a valid name of a version, release, service, model or variable.
    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, isLowerAlnum(first) else { return false }
        return name.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    public static let pattern = "[a-z0-9][a-z0-9._-]*"

    private static func isLowerAlnum(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9"))
    }
}
