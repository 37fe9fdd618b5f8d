import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// The hand-written RFC 3339 parser and formatter give what `ISO8601DateFormatter` gives on
/// valid times, and refuse impossible ones.
@Suite struct RFC3339Tests {
    private func foundationFormat(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: date)
    }

    private func foundationParse(_ text: String) -> Date? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        if let d = f.date(from: text) { return d }
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: text)
    }

    @Test func formatAndParseAgreeWithFoundationOnRandomTimes() {
        var random = SplitMix(seed: 3339)
        // 1900 to 2400, whole and fractional seconds, both sides of the epoch and of leap days.
        var dates = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: 951_782_400),
                     Date(timeIntervalSince1970: 4_107_542_399), Date(timeIntervalSince1970: 1_709_164_800.75)]
        for _ in 0..<3000 {
            let seconds = Double(Int64(random.next() % 15_778_800_000)) - 2_208_988_800
            dates.append(Date(timeIntervalSince1970: random.next() % 2 == 0 ? seconds : seconds + 0.5))
        }
        for date in dates {
            let text = RFC3339.format(date)
            #expect(text == foundationFormat(date), "format \(date.timeIntervalSince1970)")
            #expect(RFC3339.parse(text) == foundationParse(text), "parse \(text)")
            #expect(RFC3339.parse(text) == Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
        }
    }

    @Test(arguments: [
        "2026-11-26T08:05:34Z", "2026-11-26T08:05:34+01:00", "2026-11-26T08:05:34-09:30",
        "2024-02-29T23:59:59Z", "2000-02-29T00:00:00+14:00", "2026-01-01T00:00:00.5Z", "2026-01-01T00:00:00.123+02:00",
        "1999-12-31T23:59:59.999Z", "2100-01-01T00:00:00Z",
    ])
    func validTimesParseAsFoundationParsesThem(_ text: String) throws {
        let ours = try #require(RFC3339.parse(text))
        let theirs = try #require(foundationParse(text))
        #expect(abs(ours.timeIntervalSince1970 - theirs.timeIntervalSince1970) < 0.001)
    }

    @Test(arguments: [
        "", "2026", "2026-11-26", "2026-11-26t08:05:34z", "2026-11-26T08:05:34z", "2026-11-26T08:05:34", "2026-11-26 08:05:34Z", "2026-11-26T08:05Z", "2026-1-26T08:05:34Z",
        "2026-11-26T08:05:34+0100", "2026-11-26T08:05:34+01", "2026-11-26T08:05:34.Z", "2026-11-26T08:05:34Zjunk",
        " 2026-11-26T08:05:34Z", "2026-13-01T00:00:00Z", "2026-00-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-04-31T00:00:00Z", "1900-02-29T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:60Z",
        "2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+01:60", "２026-01-01T00:00:00Z", "2026-01-01T00:00:0\u{0665}Z",
    ])
    func impossibleOrMalformedTimesAreRefused(_ text: String) {
        #expect(RFC3339.parse(text) == nil)
    }
}
