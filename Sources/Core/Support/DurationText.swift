import Foundation

/// Durations as operators write them: `90d`, `12h`, `30m`, `45s`, `2w`.
public enum DurationText {
    public static func seconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let value = Double(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86400
        case "w": return value * 604800
        default: return nil
        }
    }

    /// An RFC 3339 time, or a duration from `now`.
    public static func date(_ text: String, from now: Date) -> Date? {
        if let s = seconds(text) { return now.addingTimeInterval(s) }
        return RFC3339.parse(text)
    }
}
