import Foundation
import Testing
import ZephirCore

/// The variables' `choices` column is written without `JSONEncoder`, byte for byte as it would write it.
@Suite struct JSONListTests {
    @Test func writesWhatJSONEncoderWrites() throws {
        var samples: [[String]] = [[], [""], ["a"], ["true", "false", "auto"], ["a/b", "</x>", "\"q\"", "back\\slash", "é", "€", "😀", "\u{2028}"]]
        samples.append((0..<128).map { String(UnicodeScalar(UInt8($0))) })
        for sample in samples {
            let expected = String(decoding: try JSONEncoder().encode(sample), as: UTF8.self)
            #expect(Columns.jsonList(sample) == expected, "\(sample)")
        }
    }
}
