import Testing
@testable import ZephirCore

/// The byte-level checks of ``NetworkSyntax`` give the answers of the `Character`-based ones.
@Suite struct NetworkSyntaxTests {
    static let samples: [String] = {
        var samples = [
            "", ".", "..", "1.2.3.4", "01.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1.2.3.4.", "+1.2.3.4",
            "1.2.3.-4", "1111.2.3.4", "1.2.3.4\r\n", "1.2.3.4 ", "255.255.255.0", "255.0.255.0", "255.255.255.254", "0.0.0.1",
            "::", ":::", "::1", "1::", "fe80::1", "FE80::1", "fe80:::1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9",
            "1::2::3", "12345::1", "g::1", "::ffff:1.2.3.4", "::ffff:1.2.3", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5::1.2.3.4", ":1.2.3.4", "a:1.2.3.4", "::1.2.3.4", "1::1.2.3.4",
            "192.168.0.0/24", "192.168.0.1/24", "192.168.0.0/33", "192.168.0.0/032", "192.168.0.0/", "/24", "192.168.0.0/24/1",
            "0.0.0.0/0", "10.0.0.0/8", "fe80::/10", "fe80::/129", "fe80::/128", "::/0", "1.2.3.4/32", "1.2.3.4/99999999999999999999",
            "1.2.3.0/+24", "1.2.3.0/ 24",
            "ac-dijon.fr", "a.b", "a", "a.", ".a", "a..b", "-a.fr", "a-.fr", "a.123", "a.1b", "xn--bcher-kva.example", "a_b.fr",
            "A.FR", String(repeating: "a", count: 63) + ".fr", String(repeating: "a", count: 64) + ".fr",
            Array(repeating: "abcdefgh", count: 28).joined(separator: "."), "srv86.example.org", "example.org\r\n",
            "１.2.3.4", "ｆe80::1", "exämple.fr", "é.fr",
        ]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789abcdefABCDEFgz.:/-_ ")
        for _ in 0..<3000 {
            let length = Int.random(in: 0...18, using: &generator)
            samples.append(String((0..<length).map { _ in alphabet.randomElement(using: &generator)! }))
        }
        return samples
    }()

    @Test func byteChecksAgreeWithCharacterChecks() {
        for text in Self.samples {
            #expect(NetworkSyntax.ipv4Bits(text) == NetworkSyntax.ipv4BitsOfUnicode(text), "ipv4 \(text.debugDescription)")
            #expect(NetworkSyntax.isIPv6(text) == NetworkSyntax.isIPv6OfUnicode(text), "ipv6 \(text.debugDescription)")
            #expect(NetworkSyntax.isNetwork(text) == NetworkSyntax.isNetworkOfUnicode(text), "network \(text.debugDescription)")
            #expect(NetworkSyntax.isDomain(text) == NetworkSyntax.isDomainOfUnicode(text), "domain \(text.debugDescription)")
        }
    }
}
