import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// A bundle published by ``BundleWriter`` into a scratch folder (optionally with a root chain),
/// and the archives made of it: repacked by ``ArchiveWriter``, or crafted member by member with
/// Python's `tarfile` (what an attacker or a careless hand could make).
struct ArchiveFixture {
    let scratch: Scratch
    let index: BundleIndex
    /// The root the instance pins, when the bundle has a chain.
    let pinned: TrustedRoot?
    /// The signing key of the index.
    let signer: PrivateKey

    /// Publishes `tree` as version `version` in `scratch.bundle`; with `roots`, root 1 (root key
    /// A, index key eole) and root 2 (index key eoleB) come first, and eoleB signs the index.
    init(_ scratch: Scratch, tree: [String: [UInt8]] = sampleTree(), version: Int = 2, roots: Bool = false) throws {
        self.scratch = scratch
        var pinned: TrustedRoot?
        var signer = Keys.eole
        if roots {
            let rootKey = Keys.key(7)
            pinned = try RootWriter.create(.init(source: "eole", rootKeys: [rootKey], rootThreshold: 1, indexKeys: [Keys.eole.publicKey], indexThreshold: 1,
                                                 expires: Clock.expires, now: Clock.created, output: scratch.bundle))
            _ = try RootWriter.rotate(.init(output: scratch.bundle, keys: [rootKey], indexKeys: [Keys.eoleB.publicKey], expires: Clock.expires, now: Clock.created))
            signer = Keys.eoleB
        }
        self.pinned = pinned
        self.signer = signer
        let files = tree.keys.sorted().map { (path: $0, bytes: tree[$0]!) }
        index = try BundleWriter.publish(files: files, .init(source: "eole", keys: [signer], version: version, expires: Clock.expires, now: Clock.created,
                                                             output: scratch.bundle))
    }

    /// The signature policy of an instance that trusts this bundle.
    var policy: SignaturePolicy {
        pinned.map { SignaturePolicy(mode: .required, root: $0) } ?? .requiring()
    }

    /// The bundle's members in archive order: roots, `index.json`, then `tree/…` in index order.
    func members() throws -> [(path: String, bytes: [UInt8])] {
        var members: [(path: String, bytes: [UInt8])] = []
        for version in 1... {
            guard let bytes = FileManager.default.contents(atPath: scratch.bundle.appendingPathComponent(RootChain.path(version)).path) else { break }
            members.append((RootChain.path(version), [UInt8](bytes)))
        }
        members.append(("index.json", [UInt8](try Data(contentsOf: scratch.bundle.appendingPathComponent("index.json")))))
        for file in index.files {
            members.append(("tree/" + file.path, [UInt8](try Data(contentsOf: scratch.bundle.appendingPathComponent("tree/" + file.path)))))
        }
        return members
    }

    /// A folder outside the bundle for archives and their servers.
    var archives: URL {
        let url = scratch.root.appendingPathComponent("archives")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The bundle repacked by ``ArchiveWriter`` as `name` in ``archives``.
    func archive(_ name: String, gzip: Bool) throws -> URL {
        let url = archives.appendingPathComponent(name)
        try ArchiveWriter.write(try members(), to: url, gzip: gzip)
        return url
    }

    /// Where an archive transport spools (checked empty after its shutdown).
    var spool: URL {
        let url = scratch.root.appendingPathComponent("spool")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The record of this bundle installed (its digest: the SHA-256 of the signed payload).
    func installed() throws -> InstalledSource {
        let payload = try Envelope.parse(try Data(contentsOf: scratch.bundle.appendingPathComponent("index.json"))).payloadBytes()
        return InstalledSource(name: "eole", version: index.version, digest: SHA256Digest.hex(payload), expires: RFC3339.format(Clock.expires),
                               installedAt: RFC3339.format(Clock.created))
    }

    /// The archive transport for `url`, spooling under ``spool``.
    func transport(_ url: String, options: TransportOptions = TransportOptions()) throws -> ArchiveTransport {
        try ArchiveTransport(url: url, options: options, spoolParent: spool)
    }

    /// Whether the spool folder is empty (a transport removes its folder at shutdown).
    var spoolIsEmpty: Bool { ((try? FileManager.default.contentsOfDirectory(atPath: spool.path)) ?? []).isEmpty }
}

/// One member of a crafted archive.
struct CraftedMember: Encodable {
    enum Kind: String, Encodable { case file, symlink, hardlink, chardev, fifo, dir }
    var name: String
    var kind = Kind.file
    var data: Data?
    /// A file of this many zero bytes, streamed (a compression bomb when gzip).
    var zeros: Int?
    var link: String?
    /// Extended (pax) header records of the member.
    var pax: [String: String]?

    static func file(_ name: String, _ bytes: [UInt8]) -> CraftedMember { CraftedMember(name: name, data: Data(bytes)) }
}

/// Writes archives with Python's `tarfile` (pax format), member by member as given.
enum TarCrafter {
    struct Failed: Error, CustomStringConvertible { var description: String }

    static func write(_ members: [CraftedMember], gzip: Bool, to url: URL) async throws {
        struct Spec: Encodable { var out: String; var gzip: Bool; var members: [CraftedMember] }
        let folder = url.deletingLastPathComponent()
        let spec = folder.appendingPathComponent("spec-\(UUID().uuidString).json")
        let script = folder.appendingPathComponent("craft-\(UUID().uuidString).py")
        try JSONEncoder().encode(Spec(out: url.path, gzip: gzip, members: members)).write(to: spec)
        try Data(Self.script.utf8).write(to: script)
        defer {
            try? FileManager.default.removeItem(at: spec)
            try? FileManager.default.removeItem(at: script)
        }
        let (status, _, errors) = try await python([script.path, spec.path])
        guard status == 0 else { throw Failed(description: "tarfile: \(errors)") }
    }

    /// Runs `python3 ARGUMENTS…` (its output to files, waited for without holding a thread of
    /// the cooperative pool, which the transports under test need); its status and outputs.
    static func python(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let child = try ChildProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3"] + arguments, in: FileManager.default.temporaryDirectory)
        let result = await child.wait(limit: 120)
        return (result.code, result.stdout, result.stderr)
    }

    static let script = """
        import base64, io, json, sys, tarfile
        spec = json.load(open(sys.argv[1]))

        class Zeros(io.RawIOBase):
            def __init__(self, size): self.left = size
            def readable(self): return True
            def readinto(self, b):
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n

        with tarfile.open(spec["out"], "w:gz" if spec["gzip"] else "w", format=tarfile.PAX_FORMAT) as tar:
            for m in spec["members"]:
                info = tarfile.TarInfo(m["name"])
                info.mode = 0o644
                info.mtime = 0
                if m.get("pax"):
                    info.pax_headers = m["pax"]
                kind = m["kind"]
                if kind == "file":
                    if m.get("zeros") is not None:
                        info.size = m["zeros"]
                        tar.addfile(info, io.BufferedReader(Zeros(info.size), 1 << 20))
                    else:
                        data = base64.b64decode(m["data"])
                        info.size = len(data)
                        tar.addfile(info, io.BytesIO(data))
                    continue
                info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE, "chardev": tarfile.CHRTYPE,
                             "fifo": tarfile.FIFOTYPE, "dir": tarfile.DIRTYPE}[kind]
                info.linkname = m.get("link") or ""
                if kind == "chardev":
                    info.devmajor, info.devminor = 1, 3
                tar.addfile(info)
        """
}
