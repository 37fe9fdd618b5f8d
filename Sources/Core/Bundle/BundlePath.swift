/// The rule for file paths in a bundle index: relative, normalized, under `versions/` or
/// `releases/`, never escaping the tree.
public enum BundlePath {
    /// Whether `path` is safe to join to a tree's root.
    ///
    /// Checked on the UTF-8 bytes, not on Swift characters: each segment holds only ASCII
    /// letters, digits, `.`, `_` and `-` (all a tree's names need), so that percent-encoding,
    /// Unicode lookalikes of `.` and `/`, and a `/` merged into a grapheme cluster never reach a
    /// transport or a file system that would read them otherwise.
    public static func isSafe(_ path: String) -> Bool {
        guard isNormalized(path) else { return false }
        let segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        return segments.count >= 2 && (segments[0].elementsEqual("versions".utf8) || segments[0].elementsEqual("releases".utf8))
    }

    /// Whether `path` is relative and normalized, wherever it points: at most `maxBytes` bytes,
    /// no empty segment, no segment starting with `.` (so no `.` or `..`), only ASCII letters,
    /// digits, `.`, `_` and `-`. (Also the rule for the names of an archive's members.)
    public static func isNormalized(_ path: String, maxBytes: Int = 1024) -> Bool {
        let bytes = Array(path.utf8)
        guard !bytes.isEmpty, bytes.count <= maxBytes else { return false }
        return bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).allSatisfy { segment in
            guard let first = segment.first, first != UInt8(ascii: ".") else { return false }
            return segment.allSatisfy(isNameByte)
        }
    }

    private static func isNameByte(_ c: UInt8) -> Bool {
        switch c {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}
