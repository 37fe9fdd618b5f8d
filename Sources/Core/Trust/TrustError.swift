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
    /// A root document (SPEC §5.1) that is not a valid root: bad envelope, JSON or fields.
    case malformedRoot(file: String, reason: String)
    /// Root N+1 lacks a threshold of root N's root keys (`old`) or of its own (`new`).
    case rootSignature(file: String, signers: String, valid: Int, required: Int, missing: [String])
    /// `root/N+1.json` does not hold version N+1.
    case rootVersionGap(file: String, expected: Int, found: Int)
    /// The newest trusted root has expired: a freeze.
    case rootExpired(version: Int, expires: String, now: String)
    /// A root document of another source.
    case rootWrongSource(file: String, expected: String, found: String)
    case rootTooLarge(file: String, limit: Int)
    /// More new roots than one run verifies.
    case rootChainTooLong(from: Int, limit: Int)
    /// An index signed only by keys the newest root does not name (reason `unknown-key`).
    case indexKeyNotInRoot(keyIDs: [String], rootVersion: Int)
    /// An archive carrier (SPEC §5.2) holds a member the index does not list.
    case archiveUnlistedMember(archive: String, member: String)
    /// An archive carrier holds the same member twice (a second copy could stand in for the checked one).
    case archiveDuplicateMember(archive: String, member: String)
    /// An archive member whose name is not a normalized path under `tree/versions/` or
    /// `tree/releases/` (absolute, `..`, `.`, empty segments…); reason `unsafe-path`.
    case archiveUnsafeMember(archive: String, member: String)
    /// An archive member that is not a regular file (a link, a device, a fifo, an unexpected folder…).
    case archiveMemberType(archive: String, member: String, type: String)
    /// An archive member longer than the index declares; reading stopped there (reason `size-mismatch`).
    case archiveMemberTooLarge(archive: String, member: String, declared: Int, actual: String)

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
        case .malformedRoot: return "malformed-root"
        case .rootSignature: return "root-signature"
        case .rootVersionGap: return "root-version-gap"
        case .rootExpired: return "root-expired"
        case .rootWrongSource: return "root-wrong-source"
        case .rootTooLarge: return "root-too-large"
        case .rootChainTooLong: return "root-chain-too-long"
        case .indexKeyNotInRoot: return "unknown-key"
        case .archiveUnlistedMember: return "archive-unlisted-member"
        case .archiveDuplicateMember: return "archive-duplicate-member"
        case .archiveUnsafeMember: return "unsafe-path"
        case .archiveMemberType: return "archive-member-type"
        case .archiveMemberTooLarge: return "size-mismatch"
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
        case .malformedRoot(let file, let reason):
            return "\(file): not a valid root document: \(reason); the publisher must write it with `zephir-models root create` or `root rotate`"
        case .rootSignature(let file, let signers, let valid, let required, let missing):
            let keys = missing.isEmpty ? "" : " (missing signatures from \(missing.joined(separator: ", ")))"
            return "\(file): signed by \(valid) of \(signers) root keys, \(required) required\(keys); a new root needs a threshold of the previous root's keys and of its own"
        case .rootVersionGap(let file, let expected, let found):
            return "\(file) holds root version \(found), not \(expected); roots follow one another one version at a time, refused"
        case .rootExpired(let version, let expires, let now):
            return "the newest trusted root (version \(version)) expired at \(expires) (now \(now)); the publisher must publish a new root with `zephir-models root rotate`"
        case .rootWrongSource(let file, let expected, let found):
            return "\(file) is a root of source '\(found)', not '\(expected)'; check the source's URL and the pinned root"
        case .rootTooLarge(let file, let limit):
            return "\(file) is larger than the limit of \(limit) bytes for a root document; refused"
        case .rootChainTooLong(let from, let limit):
            return "more than \(limit) new roots follow version \(from); refused (a publisher never needs so many, this is an attack or a publishing error)"
        case .indexKeyNotInRoot(let ids, let version):
            return "signed only by key\(ids.count == 1 ? "" : "s") \(ids.joined(separator: ", ")), which the newest trusted root (version \(version)) does not name as index key\(ids.count == 1 ? "" : "s"); a leaked or retired key, or the publisher signed before publishing its new root: the publisher must sign with the root's index keys"
        case .archiveUnlistedMember(let archive, let member):
            return "\(archive): member \(member) is not listed in the index (an archive holds root/…, index.json and the files the index lists, nothing else); refused: the publisher must write the archive again with `zephir-models publish --out`"
        case .archiveDuplicateMember(let archive, let member):
            return "\(archive): member \(member) appears twice (a second copy could stand in for the one checked); refused: the publisher must write the archive again with `zephir-models publish --out`"
        case .archiveUnsafeMember(let archive, let member):
            return "\(archive): member '\(member)' is not a normalized relative path under tree/versions/ or tree/releases/ and could escape the tree; refused: the publisher must write the archive again with `zephir-models publish --out`"
        case .archiveMemberType(let archive, let member, let type):
            return "\(archive): member \(member) is a \(type), not a regular file; an archive holds only regular files (and the folders of listed files); refused: the publisher must write the archive again with `zephir-models publish --out`"
        case .archiveMemberTooLarge(let archive, let member, let declared, let actual):
            return "\(archive): member \(member) holds \(actual) bytes, the index declares \(declared); reading stopped there: the archive was altered or does not go with its index, the publisher must write it again with `zephir-models publish --out`"
        }
    }
}
