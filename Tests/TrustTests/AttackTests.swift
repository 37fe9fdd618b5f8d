import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// TUF's threats applied to the trust pipeline (SPEC §5–§6), each through ``SourceFetcher``
/// as a sync runs it: rejected with its named reason, in bounded time and memory, with
/// nothing written outside the cache and no transport ever handing over more than asked.
@Suite struct AttackTests {
    enum Attack: String, CaseIterable, Sendable {
        // Arbitrary content.
        case tamperedFile, tamperedIndexPayload, tamperedPayloadType
        // Keys and thresholds.
        case unknownKey, unknownKeyClaimingTrustedID, duplicatedSignatures, reencodedDuplicateSignatures, unsigned, zeroThresholdUnsigned
        // Against what is installed, and the clock.
        case rollback, rollbackBelowFloor, equivocation, freeze, freezeJustBeyondSkew, wrongSource
        // Mix and match.
        case oldIndexWithNewFiles, newIndexWithOldFiles
        // Endless data and sizes.
        case fileLongerThanDeclared, endlessFile, endlessIndex, oversizedIndex, fileDeclaredOverLimit, bundleDeclaredOverLimit
        // Malformed indexes.
        case pathListedTwice, digestIsAPath, negativeSize, impossibleExpiry, invalidUTF8InEnvelope, invalidUTF8InPayload, payloadNotBase64, notAnEnvelope

        var reason: String {
            switch self {
            case .tamperedFile, .oldIndexWithNewFiles, .newIndexWithOldFiles: return "digest-mismatch"
            case .tamperedIndexPayload, .unknownKeyClaimingTrustedID: return "bad-signature"
            case .tamperedPayloadType: return "wrong-payload-type"
            case .unknownKey: return "unknown-key"
            case .duplicatedSignatures, .reencodedDuplicateSignatures: return "below-threshold"
            case .unsigned, .zeroThresholdUnsigned: return "unsigned"
            case .rollback, .rollbackBelowFloor: return "rollback"
            case .equivocation: return "equivocation"
            case .freeze, .freezeJustBeyondSkew: return "expired"
            case .wrongSource: return "wrong-source"
            case .fileLongerThanDeclared, .endlessFile: return "size-mismatch"
            case .endlessIndex, .oversizedIndex, .fileDeclaredOverLimit, .bundleDeclaredOverLimit: return "too-large"
            case .pathListedTwice, .digestIsAPath, .negativeSize, .impossibleExpiry, .invalidUTF8InPayload: return "malformed-index"
            case .invalidUTF8InEnvelope, .payloadNotBase64, .notAnEnvelope: return "malformed-envelope"
            }
        }
    }

    static let amon = "releases/2.7.1/servermodels/amon.yml"

    /// Builds the attack: what the transport serves and what the client has installed.
    func mount(_ attack: Attack, _ scratch: Scratch) throws -> (any BundleTransport, FetchRun) {
        let bundle = ForgedBundle()
        var run = FetchRun()
        var files = bundle.served
        func memory() -> any BundleTransport { MemoryTransport(name: "attack", files: files) }
        func envelopeJSON() -> String { String(decoding: files["index.json"]!, as: UTF8.self) }

        switch attack {
        case .tamperedFile:
            var bytes = bundle.tree[Self.amon]!
            bytes[bytes.count / 2] ^= 0x20
            files["tree/" + Self.amon] = Data(bytes)
        case .tamperedIndexPayload:
            var envelope = bundle.envelope()
            var index = bundle.index
            index.version = 99
            envelope.payload = Base64.encode(index.encoded())
            files["index.json"] = envelope.encoded()
        case .tamperedPayloadType:
            var envelope = bundle.envelope()
            envelope.payloadType = "application/vnd.in-toto+json"
            files["index.json"] = envelope.encoded()
        case .unknownKey:
            files["index.json"] = bundle.envelope(signers: [Keys.mallory]).encoded()
        case .unknownKeyClaimingTrustedID:
            var envelope = bundle.envelope(signers: [Keys.mallory])
            envelope.signatures[0].keyid = Keys.eole.publicKey.keyID
            files["index.json"] = envelope.encoded()
        case .duplicatedSignatures:
            // One key's signature three times, claiming both trusted keys: counts once.
            run.policy = .requiring(2, of: [Keys.eole, Keys.eoleB])
            var envelope = bundle.envelope()
            let signature = envelope.signatures[0]
            envelope.signatures = [signature, Envelope.Signature(keyid: Keys.eoleB.publicKey.keyID, sig: signature.sig),
                                   Envelope.Signature(keyid: signature.keyid.uppercased(), sig: signature.sig)]
            files["index.json"] = envelope.encoded()
        case .reencodedDuplicateSignatures:
            // The same signature in URL-safe base64 without padding: still the same key.
            run.policy = .requiring(2, of: [Keys.eole, Keys.eoleB])
            var envelope = bundle.envelope()
            let signature = envelope.signatures[0]
            let urlSafe = signature.sig.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            envelope.signatures.append(Envelope.Signature(keyid: Keys.eoleB.publicKey.keyID, sig: urlSafe))
            files["index.json"] = envelope.encoded()
        case .unsigned:
            var envelope = bundle.envelope()
            envelope.signatures = []
            files["index.json"] = envelope.encoded()
        case .zeroThresholdUnsigned:
            run.policy = .requiring(0)
            var envelope = bundle.envelope()
            envelope.signatures = []
            files["index.json"] = envelope.encoded()
        case .rollback:
            var newer = ForgedBundle()
            newer.version = 3
            run.installed = newer.installed
        case .rollbackBelowFloor:
            // Nothing installed (the layer was dropped), but version 5 was once: the floor holds.
            run.floor = 5
        case .equivocation:
            var other = ForgedBundle()
            other.tree = sampleTree(amonDefault: "strict")
            run.installed = other.installed
        case .freeze:
            files = bundle.served(resigning: { $0.expires = "2026-05-15T00:00:00Z" })
        case .freezeJustBeyondSkew:
            run.clockSkew = 300
            files = bundle.served(resigning: { $0.expires = RFC3339.format(Clock.now.addingTimeInterval(-301)) })
        case .wrongSource:
            files = bundle.served(resigning: { $0.source = "acme" })
        case .impossibleExpiry:
            // Signed, but not a time (SPEC §5: `expires` is RFC 3339): refused, never read as 2026-03-02.
            files = bundle.served(resigning: { $0.expires = "2026-02-30T00:00:00Z" })
        case .oldIndexWithNewFiles:
            var next = ForgedBundle()
            next.version = 3
            next.tree = sampleTree(amonDefault: "strict")
            files = next.served
            files["index.json"] = bundle.served["index.json"]
        case .newIndexWithOldFiles:
            var next = ForgedBundle()
            next.version = 3
            next.tree = sampleTree(amonDefault: "strict")
            files["index.json"] = next.served["index.json"]
        case .fileLongerThanDeclared:
            files["tree/" + Self.amon]!.append(Data(repeating: UInt8(ascii: "#"), count: 8 << 20))
        case .endlessFile:
            try bundle.write(to: scratch.bundle)
            let file = scratch.bundle.appendingPathComponent("tree/" + Self.amon)
            try FileManager.default.removeItem(at: file)
            try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "/dev/zero")
            return (FileTransport(root: scratch.bundle), run)
        case .endlessIndex:
            try bundle.write(to: scratch.bundle)
            let file = scratch.bundle.appendingPathComponent("index.json")
            try FileManager.default.removeItem(at: file)
            try FileManager.default.createSymbolicLink(atPath: file.path, withDestinationPath: "/dev/zero")
            return (FileTransport(root: scratch.bundle), run)
        case .oversizedIndex:
            // A valid envelope padded with whitespace past the 16 MiB limit.
            var data = files["index.json"]!
            data.append(Data(repeating: UInt8(ascii: " "), count: 17 << 20))
            files["index.json"] = data
        case .fileDeclaredOverLimit:
            files = bundle.served(resigning: { index in
                let i = index.files.firstIndex { $0.path == Self.amon }!
                index.files[i].size = 65 << 20
            })
        case .bundleDeclaredOverLimit:
            files = bundle.served(resigning: { index in
                for i in index.files.indices { index.files[i].size = 1 << 30 }
            })
        case .pathListedTwice:
            files = bundle.served(resigning: { index in index.files.append(index.files[0]) })
        case .digestIsAPath:
            files = bundle.served(resigning: { index in index.files[0].sha256 = "../../../../zm-escape-" + String(repeating: "a", count: 42) })
        case .negativeSize:
            files = bundle.served(resigning: { index in index.files[0].size = -1 })
        case .invalidUTF8InEnvelope:
            var data = Data(envelopeJSON().replacingOccurrences(of: "\"payloadType\"", with: "\"payloadType\u{1}\"").utf8)
            data[data.firstIndex(of: 1)!] = 0xFF
            files["index.json"] = data
        case .invalidUTF8InPayload:
            var payload = bundle.index.encoded()
            let at = payload.range(of: Data("\"eole\"".utf8))!.lowerBound + 1
            payload[at] = 0xC0
            payload.insert(0xAF, at: at + 1)
            files["index.json"] = try Envelope.sign(payload: payload, keys: [Keys.eole]).encoded()
        case .payloadNotBase64:
            var envelope = bundle.envelope()
            envelope.payload = "not base64!"
            files["index.json"] = envelope.encoded()
        case .notAnEnvelope:
            files["index.json"] = bundle.index.encoded()
        }
        return (memory(), run)
    }

    @Test(arguments: Attack.allCases)
    func anAttackIsRejectedWithItsReason(_ attack: Attack) async throws {
        let scratch = Scratch()
        let (inner, run) = try mount(attack, scratch)
        let transport = RecordingTransport(inner)
        scratch.seal()
        let outcome = try await Bounded.run("\(attack)", seconds: 20) { await run.run(transport, scratch: scratch) }
        #expect(outcome.rejection?.reason == attack.reason, "\(attack): \(outcome.summary)")
        scratch.audit()
        // No transport handed over more than one byte past what was asked.
        for request in transport.requests {
            #expect(request.returned <= request.maxBytes + 1, "\(attack): \(request)")
        }
        // Nothing was fetched for a file before its index entry was trusted and within limits.
        switch attack {
        case .fileDeclaredOverLimit:
            #expect(!transport.paths.contains("tree/" + Self.amon))
        case .tamperedFile, .oldIndexWithNewFiles, .newIndexWithOldFiles, .fileLongerThanDeclared, .endlessFile:
            #expect(transport.paths.contains("tree/" + Self.amon))
            #expect(!scratch.cachedDigests.contains(SHA256Digest.hex(sampleTree(amonDefault: "strict")[Self.amon]!)))
        default:
            #expect(transport.paths == ["index.json"], "\(attack): \(transport.paths)")
        }
    }

    @Test func theUntouchedBundleIsAcceptedThenUnchanged() async throws {
        let scratch = Scratch()
        let bundle = ForgedBundle()
        let first = RecordingTransport(MemoryTransport(name: "ok", files: bundle.served))
        let outcome = await FetchRun().run(first, scratch: scratch)
        let snapshot = try #require(outcome.snapshot, "\(outcome.summary)")
        #expect(snapshot.tree.modelCount == 2 && snapshot.filesFetched == bundle.tree.count)
        #expect(scratch.cachedDigests == Set(bundle.tree.values.map { SHA256Digest.hex($0) }))

        var again = FetchRun()
        again.installed = bundle.installed
        let second = RecordingTransport(MemoryTransport(name: "ok", files: bundle.served))
        #expect(await again.run(second, scratch: scratch).isUnchanged)
        #expect(second.paths == ["index.json"])
    }

    @Test func aThresholdOfTwoDistinctKeysIsMet() async throws {
        var bundle = ForgedBundle()
        bundle.signers = [Keys.eole, Keys.mallory, Keys.eoleB]
        var run = FetchRun()
        run.policy = .requiring(2, of: [Keys.eole, Keys.eoleB])
        let outcome = await run.run(MemoryTransport(name: "ok", files: bundle.served), scratch: Scratch())
        #expect(outcome.snapshot?.verified.signatures.validKeyIDs == [Keys.eole.publicKey.keyID, Keys.eoleB.publicKey.keyID])
    }

    @Test func anIndexJustWithinTheSkewIsAccepted() async throws {
        let files = ForgedBundle().served(resigning: { $0.expires = RFC3339.format(Clock.now.addingTimeInterval(-299)) })
        var run = FetchRun()
        run.clockSkew = 300
        #expect(await run.run(MemoryTransport(name: "ok", files: files), scratch: Scratch()).snapshot != nil)
    }

    /// A file the attacker withholds: the source is unavailable (its last good layer stays), never half-applied.
    @Test func aWithheldFileMakesTheSourceUnavailable() async throws {
        var files = ForgedBundle().served
        files["tree/" + Self.amon] = nil
        let outcome = await FetchRun().run(MemoryTransport(name: "withheld", files: files), scratch: Scratch())
        guard case .notFound? = outcome.unavailability else { Issue.record("\(outcome.summary)"); return }
    }

    /// A cache entry altered on disk is not trusted: the file is fetched again and the cache repaired.
    @Test func aPoisonedCacheEntryIsFetchedAgain() async throws {
        let scratch = Scratch()
        let bundle = ForgedBundle()
        let digest = SHA256Digest.hex(bundle.tree[Self.amon]!)
        let entry = scratch.cache.appendingPathComponent(String(digest.prefix(2))).appendingPathComponent(digest)
        try FileManager.default.createDirectory(at: entry.deletingLastPathComponent(), withIntermediateDirectories: true)
        var poisoned = bundle.tree[Self.amon]!
        poisoned[poisoned.count / 2] ^= 0x20
        try Data(poisoned).write(to: entry)

        let transport = RecordingTransport(MemoryTransport(name: "ok", files: bundle.served))
        let snapshot = try #require(await FetchRun().run(transport, scratch: scratch).snapshot)
        #expect(transport.paths.contains("tree/" + Self.amon))
        #expect(snapshot.files.first { $0.path == Self.amon }?.bytes == bundle.tree[Self.amon]!)
        #expect(try Data(contentsOf: entry) == Data(bundle.tree[Self.amon]!))
    }
}
