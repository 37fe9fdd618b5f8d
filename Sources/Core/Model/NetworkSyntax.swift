/// Syntax checks for the network-flavoured variable types.
public enum NetworkSyntax {
    /// Parses a dotted-quad IPv4 address into its 32 bits.
    public static func ipv4Bits(_ text: String) -> UInt32? {
        if let ascii = ASCIISyntax(text) { return ascii.ipv4Bits() }
        return ipv4BitsOfUnicode(text)
    }

    static func ipv4BitsOfUnicode(_ text: String) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bits: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  !(part.count > 1 && part.first == "0"), let octet = UInt32(part), octet <= 255 else { return nil }
            bits = bits << 8 | octet
        }
        return bits
    }

    public static func isIPv4(_ text: String) -> Bool { ipv4Bits(text) != nil }

    public static func isIPv6(_ text: String) -> Bool {
        if let ascii = ASCIISyntax(text) { return ascii.isIPv6() }
        return isIPv6OfUnicode(text)
    }

    static func isIPv6OfUnicode(_ text: String) -> Bool {
        var body = Substring(text)
        var groupsNeeded = 8
        if let lastColon = body.lastIndex(of: ":"), body[body.index(after: lastColon)...].contains(".") {
            guard isIPv4(String(body[body.index(after: lastColon)...])) else { return false }
            body = body[...lastColon]
            if body.hasSuffix(":") && !body.hasSuffix("::") { body = body.dropLast() }
            groupsNeeded = 6
        }
        let halves = body.components(separatedBy: "::")
        guard halves.count <= 2 else { return false }
        func groups(_ s: String) -> [Substring]? {
            if s.isEmpty { return [] }
            let g = s.split(separator: ":", omittingEmptySubsequences: false)
            return g.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) ? g : nil
        }
        guard let head = groups(halves[0]) else { return false }
        if halves.count == 1 { return head.count == groupsNeeded }
        guard let tail = groups(halves[1]) else { return false }
        return head.count + tail.count < groupsNeeded
    }

    /// A dotted netmask whose one-bits are contiguous (`255.255.255.0`).
    public static func isNetmask(_ text: String) -> Bool {
        guard let bits = ipv4Bits(text) else { return false }
        let inverted = ~bits
        return inverted & (inverted &+ 1) == 0
    }

    /// An IPv4 or IPv6 network in CIDR form with no host bits set (`192.168.0.0/24`).
    public static func isNetwork(_ text: String) -> Bool {
        if let ascii = ASCIISyntax(text) { return ascii.isNetwork() }
        return isNetworkOfUnicode(text)
    }

    static func isNetworkOfUnicode(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let prefix = Int(parts[1]),
              !(parts[1].count > 1 && parts[1].first == "0") else { return false }
        let address = String(parts[0])
        if let bits = ipv4Bits(address) {
            guard prefix <= 32 else { return false }
            let hostMask: UInt32 = prefix == 32 ? 0 : UInt32.max >> UInt32(prefix)
            return bits & hostMask == 0
        }
        return isIPv6(address) && prefix <= 128
    }

    /// A DNS name of at least two labels, each 1–63 letters, digits or hyphens, not starting or
    /// ending with a hyphen; the top-level label is not all digits.
    public static func isDomain(_ text: String) -> Bool {
        if let ascii = ASCIISyntax(text) { return ascii.isDomain() }
        return isDomainOfUnicode(text)
    }

    static func isDomainOfUnicode(_ text: String) -> Bool {
        guard text.utf8.count <= 253 else { return false }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.utf8.count), label.first != "-", label.last != "-",
                  label.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else { return false }
        }
        return !labels.last!.allSatisfy(\.isNumber)
    }
}
