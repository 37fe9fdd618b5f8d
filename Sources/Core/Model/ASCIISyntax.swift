/// The checks of ``NetworkSyntax`` on the bytes of an ASCII text: the same answers as the
/// `Character`-based originals (which still handle every other text), without building
/// substrings. In ASCII every byte is one character but "\r\n", and neither byte passes any
/// of these checks, so counting bytes gives the same results as counting characters.
struct ASCIISyntax {
    private let bytes: [UInt8]

    /// `nil` when `text` is not all ASCII.
    init?(_ text: String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            guard byte < 0x80 else { return nil }
            bytes.append(byte)
        }
        self.bytes = bytes
    }

    private init(bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }

    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isHex(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
    private static func isLetter(_ c: UInt8) -> Bool { (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) }

    private static let dot = UInt8(ascii: "."), colon = UInt8(ascii: ":"), slash = UInt8(ascii: "/"), hyphen = UInt8(ascii: "-")

    func ipv4Bits() -> UInt32? { Self.ipv4Bits(bytes[...]) }

    private static func ipv4Bits(_ text: ArraySlice<UInt8>) -> UInt32? {
        var bits: UInt32 = 0
        var parts = 0
        var start = text.startIndex
        while true {
            let end = text[start...].firstIndex(of: dot) ?? text.endIndex
            let part = text[start..<end]
            parts += 1
            guard parts <= 4, !part.isEmpty, part.count <= 3, part.allSatisfy(isDigit),
                  !(part.count > 1 && part.first == 0x30) else { return nil }
            let octet = part.reduce(UInt32(0)) { $0 * 10 + UInt32($1 - 0x30) }
            guard octet <= 255 else { return nil }
            bits = bits << 8 | octet
            if end == text.endIndex { break }
            start = text.index(after: end)
        }
        return parts == 4 ? bits : nil
    }

    func isIPv6() -> Bool { Self.isIPv6(bytes[...]) }

    private static func isIPv6(_ text: ArraySlice<UInt8>) -> Bool {
        var body = text
        var groupsNeeded = 8
        if let lastColon = body.lastIndex(of: colon), body[body.index(after: lastColon)...].contains(dot) {
            guard ipv4Bits(body[body.index(after: lastColon)...]) != nil else { return false }
            body = body[...lastColon]
            if body.last == colon && !(body.count >= 2 && body[body.index(before: body.endIndex - 1)] == colon) { body = body.dropLast() }
            groupsNeeded = 6
        }
        // Split on "::" the way `components(separatedBy:)` does: left to right, non-overlapping.
        var halves: [ArraySlice<UInt8>] = []
        var start = body.startIndex, i = body.startIndex
        while i < body.endIndex {
            if body[i] == colon, body.index(after: i) < body.endIndex, body[body.index(after: i)] == colon {
                halves.append(body[start..<i])
                i = body.index(i, offsetBy: 2)
                start = i
            } else {
                i = body.index(after: i)
            }
        }
        halves.append(body[start..<body.endIndex])
        guard halves.count <= 2 else { return false }
        func groups(_ s: ArraySlice<UInt8>) -> Int? {
            if s.isEmpty { return 0 }
            var count = 0
            for group in s.split(separator: colon, omittingEmptySubsequences: false) {
                guard !group.isEmpty, group.count <= 4, group.allSatisfy(isHex) else { return nil }
                count += 1
            }
            return count
        }
        guard let head = groups(halves[0]) else { return false }
        if halves.count == 1 { return head == groupsNeeded }
        guard let tail = groups(halves[1]) else { return false }
        return head + tail < groupsNeeded
    }

    func isNetwork() -> Bool {
        let parts = bytes.split(separator: Self.slash, omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].allSatisfy(Self.isDigit), !parts[1].isEmpty, parts[1].count <= 18,
              !(parts[1].count > 1 && parts[1].first == 0x30) else { return false }
        let prefix = parts[1].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        if let bits = Self.ipv4Bits(parts[0]) {
            guard prefix <= 32 else { return false }
            let hostMask: UInt32 = prefix == 32 ? 0 : UInt32.max >> UInt32(prefix)
            return bits & hostMask == 0
        }
        return Self.isIPv6(parts[0]) && prefix <= 128
    }

    func isDomain() -> Bool {
        guard bytes.count <= 253 else { return false }
        let labels = bytes.split(separator: Self.dot, omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != Self.hyphen, label.last != Self.hyphen,
                  label.allSatisfy({ Self.isLetter($0) || Self.isDigit($0) || $0 == Self.hyphen }) else { return false }
        }
        return !labels.last!.allSatisfy(Self.isDigit)
    }
}
