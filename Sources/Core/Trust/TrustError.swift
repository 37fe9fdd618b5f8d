import Foundation

/// Why a bundle or an index was not trusted: the named reasons of SPEC §5 and §6.
public enum TrustError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformedEnvelope(String)
    case wrongPayloadType(String)
    case unsigned
    case badSignature(keyIDs: [String])
    case unknownKey(keyIDs: [String])
    case belowThreshold(valid: Int, required: Int)
    case malformedIndex(String)
    case unsafePath(String)
    case sizeMismatch(path: String, declared: Int, actual: String)
    case digestMismatch(path: String, expected: String, actual: String)
    case missingFile(path: String)
    case expired(expires: String, now: String)
    case rollback(installed: Int, offered: Int)
    case equivocation(version: Int, installedDigest: String, offeredDigest: String)
    case wrongSource(expected: String, found: String)
    case invalidTree(String)
    case tooLarge(what: String, limit: Int)

    /// A stable, machine-readable name of the reason (used in `--json` and conflicts).
    public var reason: String {
        switch self {
        case .malformedEnvelope: return "malformed-envelope"
        case .wrongPayloadType: return "wrong-payload-type"
        case .unsigned: return "unsigned"
        case .badSignature: return "bad-signature"
        case .unknownKey: return "unknown-key"
        case .belowThreshold: return "below-threshold"
        case .malformedIndex: return "malformed-index"
        case .unsafePath: return "unsafe-path"
        case .sizeMismatch: return "size-mismatch"
        case .digestMismatch: return "digest-mismatch"
        case .missingFile: return "missing-file"
        case .expired: return "expired"
        case .rollback: return "rollback"
        case .equivocation: return "equivocation"
        case .wrongSource: return "wrong-source"
        case .invalidTree: return "invalid-tree"
        case .tooLarge: return "too-large"
        }
    }

    public var description: String {
        switch self {
        case .malformedEnvelope(let what):
            return "\(what); the publisher must republish with `zephir-models publish`"
        case .wrongPayloadType(let type):
            return "the envelope's payloadType is '\(type)', not '\(Envelope.indexPayloadType)'; this is not a zephir-models index"
        case .unsigned:
            return "the index carries no signature; the publisher must sign it (publish --key)"
        case .badSignature(let ids):
            return "bad signature: a signature claiming trusted key \(ids.joined(separator: ", ")) does not verify; the index was altered or signed with another key"
        case .unknownKey(let ids):
            return "signed only by unknown key\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")); if the publisher rotated keys, add the new public key to the trusted keys"
        case .belowThreshold(let valid, let required):
            return "below threshold: \(valid) distinct trusted key\(valid == 1 ? "" : "s") signed, \(required) required"
        case .malformedIndex(let what):
            return "\(what)"
        case .unsafePath(let path):
            return "the index lists the path '\(path)', which is not a normalized relative path under versions/ or releases/; refused"
        case .sizeMismatch(let path, let declared, let actual):
            return "\(path): the index declares \(declared) bytes, the file has \(actual)"
        case .digestMismatch(let path, let expected, let actual):
            return "\(path): SHA-256 is \(actual), the index says \(expected); the file was altered"
        case .missingFile(let path):
            return "\(path): listed in the index but missing from the bundle"
        case .expired(let expires, let now):
            return "the index expired at \(expires) (now \(now)); the publisher must republish it (a stale index may hide updates)"
        case .rollback(let installed, let offered):
            return "rollback: version \(offered) is older than the installed version \(installed); refused"
        case .equivocation(let version, let installed, let offered):
            return "equivocation: version \(version) is installed with digest \(installed.prefix(16))…, but the source now serves digest \(offered.prefix(16))… for the same version; refused"
        case .wrongSource(let expected, let found):
            return "the index is for source '\(found)', not '\(expected)'; check the source's URL"
        case .invalidTree(let what):
            return what
        case .tooLarge(let what, let limit):
            return "\(what) is larger than the limit of \(limit) bytes; refused"
        }
    }
}
