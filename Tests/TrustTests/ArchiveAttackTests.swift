import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// Archives an attacker (or a careless hand) could make, crafted with Python's `tarfile` around a
/// genuine signed bundle: each is rejected with its named reason, or unavailable, before anything
/// the index does not allow is unpacked; the transport's spool is always removed.
extension RealProcesses {
@Suite(.serialized) struct ArchiveAttackTests {
    /// A genuine bundle and the crafted archive of `change(members)`, synced once.
    struct Attempt {
        var outcome: SourceFetcher.Outcome
        var read: ArchiveTransport.Statistics
        var archiveBytes: Int
    }

    static func attempt(gzip: Bool = true, roots: Bool = false, sourceLocation: SourceLocation = #_sourceLocation,
                        _ change: (ArchiveFixture, inout [CraftedMember]) throws -> Void) async throws -> Attempt {
        let scratch = Scratch("zm-archive-attack")
        let fixture = try ArchiveFixture(scratch, roots: roots)
        var members = try fixture.members().map { CraftedMember.file($0.path, $0.bytes) }
        try change(fixture, &members)
        let archive = fixture.archives.appendingPathComponent(gzip ? "bundle.tar.gz" : "bundle.tar")
        try await TarCrafter.write(members, gzip: gzip, to: archive)
        let transport = try fixture.transport(archive.path)
        let outcome = await FetchRun(policy: fixture.policy).run(transport, scratch: Scratch())
        #expect(fixture.spoolIsEmpty, "the spool was left behind", sourceLocation: sourceLocation)
        return Attempt(outcome: outcome, read: transport.statistics, archiveBytes: try Data(contentsOf: archive).count)
    }

    /// The path of the tree member `n` (in index order).
    static func treeMember(_ fixture: ArchiveFixture, _ n: Int) -> String { "tree/" + fixture.index.files[n].path }

    @Test func theGenuineCraftedArchiveSyncs() async throws {
        let attempt = try await Self.attempt { _, _ in }
        #expect(attempt.outcome.snapshot != nil, "\(attempt.outcome.summary)")
    }

    @Test func folderMembersOfListedFilesAreAllowed() async throws {
        let attempt = try await Self.attempt { fixture, members in
            let folders = ["tree", "tree/releases", "tree/releases/2.7.1", "tree/releases/2.7.1/servermodels", "tree/releases/2.7.1/applicationservices", "tree/versions"]
            members.insert(contentsOf: folders.map { CraftedMember(name: $0, kind: .dir) }, at: 1)
            members.insert(CraftedMember(name: "root", kind: .dir), at: 0)
        }
        #expect(attempt.outcome.snapshot != nil, "\(attempt.outcome.summary)")
    }

    @Test func anUnlistedMemberIsRejected() async throws {
        let attempt = try await Self.attempt { _, members in
            members.append(.file("tree/releases/2.7.1/servermodels/extra.yml", Array("name: extra\n".utf8)))
        }
        #expect(attempt.outcome.rejection?.reason == "archive-unlisted-member", "\(attempt.outcome.summary)")
        #expect("\(attempt.outcome.rejection!)".contains("tree/releases/2.7.1/servermodels/extra.yml"))
    }

    @Test func anUnlistedFolderIsRejected() async throws {
        let attempt = try await Self.attempt { _, members in
            members.append(CraftedMember(name: "tree/releases/2.7.1/elsewhere", kind: .dir))
        }
        #expect(attempt.outcome.rejection?.reason == "archive-unlisted-member", "\(attempt.outcome.summary)")
    }

    @Test func aDuplicateMemberIsRejected() async throws {
        let attempt = try await Self.attempt { fixture, members in
            // The second copy is the one an extractor would keep.
            members.append(.file(Self.treeMember(fixture, 0), Array("name: \"2.7\"\nlabel: forged\n".utf8)))
        }
        #expect(attempt.outcome.rejection?.reason == "archive-duplicate-member", "\(attempt.outcome.summary)")
    }

    @Test func aSecondIndexIsRejected() async throws {
        let attempt = try await Self.attempt { _, members in
            members.append(members.first { $0.name == "index.json" }!)
        }
        #expect(attempt.outcome.rejection?.reason == "archive-duplicate-member", "\(attempt.outcome.summary)")
    }

    @Test(arguments: ["tree/../x", "tree/releases/../../etc/passwd", "/tree/versions/2.7.yml", "./tree/versions/2.7.yml", "tree//versions/2.7.yml",
                      "tree/versions/.hidden.yml"])
    func aPathThatEscapesOrIsNotNormalizedIsRejected(name: String) async throws {
        let attempt = try await Self.attempt { _, members in
            members.append(.file(name, Array("x: 1\n".utf8)))
        }
        #expect(attempt.outcome.rejection?.reason == "unsafe-path", "\(attempt.outcome.summary)")
    }

    @Test(arguments: [CraftedMember.Kind.symlink, .hardlink, .chardev, .fifo])
    func aMemberThatIsNotARegularFileIsRejected(kind: CraftedMember.Kind) async throws {
        let attempt = try await Self.attempt { fixture, members in
            // In place of a listed file, so that only its type is wrong.
            let name = Self.treeMember(fixture, 1)
            let index = members.firstIndex { $0.name == name }!
            members[index] = CraftedMember(name: name, kind: kind, link: kind == .hardlink ? Self.treeMember(fixture, 0) : "/etc/passwd")
        }
        #expect(attempt.outcome.rejection?.reason == "archive-member-type", "\(attempt.outcome.summary)")
    }

    @Test func aListedFileAsAFolderIsRejected() async throws {
        let attempt = try await Self.attempt { fixture, members in
            let name = Self.treeMember(fixture, 1)
            members.removeAll { $0.name == name }
            members.append(CraftedMember(name: name, kind: .dir))
        }
        #expect(attempt.outcome.rejection?.reason == "archive-member-type", "\(attempt.outcome.summary)")
    }

    /// 128 MiB of zeros (some 100 KiB compressed) where the index declares a small file:
    /// refused from its header, before its data is unpacked. What the reader unpacked is counted
    /// by the reader itself: the process's memory is no measure here, since other suites run in
    /// the same process at the same time (a CI run saw it grow by 148 MB around this test).
    @Test func aCompressionBombIsNeverUnpacked() async throws {
        let bomb = 128 << 20
        let attempt = try await Bounded.run("the bomb", seconds: 60) {
            try await Self.attempt { fixture, members in
                let name = Self.treeMember(fixture, 1)
                let index = members.firstIndex { $0.name == name }!
                members[index] = CraftedMember(name: name, zeros: bomb)
            }
        }
        #expect(attempt.archiveBytes < bomb / 100)
        #expect(attempt.outcome.rejection?.reason == "size-mismatch", "\(attempt.outcome.summary)")
        #expect(attempt.read.bytesUnpacked < 1 << 20, "unpacked \(attempt.read.bytesUnpacked) bytes")
    }

    /// A root placed after `index.json` is never read as part of the chain: the chain stops at
    /// root 1, whose index key did not sign, so the index is rejected; nothing of the tree is read.
    @Test func aRootAfterTheIndexIsNotFollowed() async throws {
        let attempt = try await Self.attempt(roots: true) { _, members in
            let root = members.remove(at: members.firstIndex { $0.name == "root/2.json" }!)
            members.insert(root, at: members.firstIndex { $0.name == "index.json" }! + 1)
        }
        #expect(attempt.outcome.snapshot == nil, "\(attempt.outcome.summary)")
        #expect(attempt.outcome.rejection?.reason == "unknown-key", "\(attempt.outcome.summary)")
        #expect(attempt.read.passes == 1)
    }

    @Test func aRootTwiceIsRefused() async throws {
        let attempt = try await Self.attempt(roots: true) { _, members in
            let root = members.first { $0.name == "root/1.json" }!
            members.insert(root, at: 1)
        }
        #expect(attempt.outcome.unavailability?.reason == "malformed-archive", "\(attempt.outcome.summary)")
        #expect("\(try #require(attempt.outcome.unavailability))".contains("root/1.json appears twice"), "\(attempt.outcome.summary)")
    }

    /// Roots are held in memory until `index.json`: more than the transport's bound of them is refused.
    @Test func rootsBeyondTheHeadBoundAreRefused() async throws {
        let scratch = Scratch("zm-archive-attack")
        let fixture = try ArchiveFixture(scratch, roots: true)
        let archive = try fixture.archive("bundle.tar.gz", gzip: true)
        let transport = try ArchiveTransport(url: archive.path, spoolParent: fixture.spool, maxHeadBytes: 256)
        let outcome = await FetchRun(policy: fixture.policy).run(transport, scratch: Scratch())
        #expect(outcome.unavailability?.reason == "malformed-archive", "\(outcome.summary)")
        #expect("\(try #require(outcome.unavailability))".contains("more than 256 bytes of root documents before index.json"), "\(outcome.summary)")
        #expect(fixture.spoolIsEmpty)
    }

    /// Members no larger than declared, but a stream that unpacks far past the declared sizes
    /// (pax headers of 900 KiB on three members — libarchive itself refuses one over 1 MiB —,
    /// a few KiB compressed): refused once past the tree's bound.
    @Test func anArchiveUnpackingPastTheDeclaredSizesIsRefused() async throws {
        let attempt = try await Self.attempt { fixture, members in
            for n in 0..<3 {
                let name = Self.treeMember(fixture, n)
                let index = members.firstIndex { $0.name == name }!
                members[index].pax = ["comment": String(repeating: "x", count: 900 << 10)]
            }
        }
        #expect(attempt.archiveBytes < 256 << 10)
        #expect(attempt.outcome.rejection?.reason == "too-large", "\(attempt.outcome.summary)")
        #expect("\(try #require(attempt.outcome.rejection))".contains("the archive unpacked"), "\(attempt.outcome.summary)")
    }

    @Test func aTreeMemberBeforeTheIndexIsNotRead() async throws {
        let attempt = try await Self.attempt { fixture, members in
            let index = members.firstIndex { $0.name == "index.json" }!
            members.insert(CraftedMember(name: Self.treeMember(fixture, 0), zeros: 4 << 20), at: index)
        }
        #expect(attempt.outcome.unavailability?.reason == "malformed-archive", "\(attempt.outcome.summary)")
        #expect("\(attempt.outcome.unavailability!)".contains("comes before index.json"))
        // Its header was read, not its data.
        #expect(attempt.read.bytesUnpacked < 64 << 10, "unpacked \(attempt.read.bytesUnpacked) bytes")
    }

    @Test func aTamperedMemberFailsItsDigest() async throws {
        let attempt = try await Self.attempt { fixture, members in
            let name = Self.treeMember(fixture, 0)
            let index = members.firstIndex { $0.name == name }!
            var bytes = members[index].data!
            bytes[bytes.count - 2] ^= 0x01
            members[index].data = bytes
        }
        #expect(attempt.outcome.rejection?.reason == "digest-mismatch", "\(attempt.outcome.summary)")
    }

    @Test func aShorterMemberFailsItsSize() async throws {
        let attempt = try await Self.attempt { fixture, members in
            let name = Self.treeMember(fixture, 0)
            let index = members.firstIndex { $0.name == name }!
            members[index].data = members[index].data!.dropLast(3)
        }
        #expect(attempt.outcome.rejection?.reason == "size-mismatch", "\(attempt.outcome.summary)")
    }

    @Test(arguments: [false, true])
    func aTruncatedArchiveIsUnavailable(gzip: Bool) async throws {
        let scratch = Scratch("zm-archive-attack")
        var tree = sampleTree()
        tree["releases/2.7.1/servermodels/zz-filler.yml"] = Array(String(repeating: "# filler line\n", count: 20_000).utf8)
        let fixture = try ArchiveFixture(scratch, tree: tree)
        let archive = try fixture.archive(gzip ? "bundle.tar.gz" : "bundle.tar", gzip: gzip)
        let bytes = try Data(contentsOf: archive)
        try bytes.prefix(bytes.count * 3 / 4).write(to: archive)
        let outcome = await FetchRun().run(try fixture.transport(archive.path), scratch: Scratch())
        #expect(outcome.unavailability?.reason == "malformed-archive", "\(outcome.summary)")
        #expect(fixture.spoolIsEmpty)
    }

    @Test func notAnArchiveIsUnavailable() async throws {
        let scratch = Scratch("zm-archive-attack")
        let fixture = try ArchiveFixture(scratch)
        let archive = fixture.archives.appendingPathComponent("bundle.tar.gz")
        try Data("this is not a tar file\n".utf8).write(to: archive)
        let outcome = await FetchRun().run(try fixture.transport(archive.path), scratch: Scratch())
        #expect(outcome.unavailability?.reason == "malformed-archive", "\(outcome.summary)")
    }
}
}
