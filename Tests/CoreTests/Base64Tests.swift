import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// Base64 decoding on bytes gives what it gives on characters.
@Suite struct Base64Tests {
    @Test func bytesAgreeWithCharacters() {
        var random = SplitMix(seed: 64)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=".unicodeScalars)
        let odd = Array(" \t\n\r\u{0B}\u{0C}\u{1C}\u{1F}=é\u{85}\u{A0}*.".unicodeScalars)
        var samples = ["", " ", "=", "==", "QQ", "QQ=", "QQ==", "QQ===", "Q===", "QUJD", " QUJD\n", "\r\nQUJD\r\n", "QU\r\nJD", "QU JD",
                       "-_-_", "\u{A0}QUJD", "QUJD\u{85}", Data((0..<300).map { UInt8($0 % 256) }).base64EncodedString()]
        for _ in 0..<4000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<(random.next() % 24) {
                let pool = random.next() % 8 == 0 ? odd : alphabet
                scalars.append(pool[Int(random.next() % UInt64(pool.count))])
            }
            samples.append(String(scalars))
        }
        for sample in samples {
            #expect(Base64.decode(sample) == Base64.decodeCharacters(sample), "\(sample.debugDescription)")
        }
    }
}
