/// The type of a ``Variable``, which decides the values it accepts.
public enum VariableType: String, Sendable, Hashable, Codable, CaseIterable {
    case string, integer, boolean, ip, netmask, network, domain, port, choice

    /// Why `value` is not a valid value of this type, or `nil` when it is.
    ///
    /// `choices` matters for `choice` only. Values are in canonical text form.
    public func problem(with value: String, choices: [String]) -> String? {
        switch self {
        case .string:
            return nil
        case .integer:
            return Int(value) == nil ? "expected an integer" : nil
        case .boolean:
            return value == "true" || value == "false" ? nil : "expected true or false"
        case .port:
            guard let n = Int(value), (1...65535).contains(n) else { return "expected a port number from 1 to 65535" }
            return nil
        case .ip:
            return NetworkSyntax.isIPv4(value) || NetworkSyntax.isIPv6(value) ? nil : "expected an IPv4 or IPv6 address"
        case .netmask:
            return NetworkSyntax.isNetmask(value) ? nil : "expected a dotted netmask such as 255.255.255.0"
        case .network:
            return NetworkSyntax.isNetwork(value) ? nil : "expected a network in CIDR form such as 192.168.0.0/24"
        case .domain:
            return NetworkSyntax.isDomain(value) ? nil : "expected a domain name such as ac-dijon.fr"
        case .choice:
            return choices.contains(value) ? nil : "expected one of: \(choices.joined(separator: ", "))"
        }
    }
}
