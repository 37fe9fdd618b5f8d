import Foundation
import Testing
import ZephirTestSupport
@testable import ZephirCore

/// The OCI carrier (SPEC §5.2) against a real registry (Debian's docker-registry, the CNCF
/// distribution registry): pushed with ``OCIPusher``, read through ``SourceFetcher``; request
/// counts come from the registry's own log.
@Suite(.serialized) struct OCIRegistryTests {
    /// The requests of the registry's log as `METHOD /v2/… STATUS`, digests shortened to their title.
    static func describe(_ requests: [Registry.Request], names: [String: String]) -> [String] {
        requests.map { request in
            var path = request.path
            for (digest, name) in names { path = path.replacingOccurrences(of: digest, with: name) }
            return "\(request.method) \(path) \(request.status)"
        }
    }

    /// Digest → title, for readable request logs.
    static func names(_ files: [(path: String, bytes: [UInt8])]) -> [String: String] {
        Dictionary(files.map { (OCIManifest.digest(of: $0.bytes), $0.path) }, uniquingKeysWith: { first, _ in first })
    }

    @Test func pushThenFetchMatchesTheDirectoryAndAOneFileChangeCostsOneBlobEachWay() async throws {
        let registry = try Registry()
        let world = CarrierWorld()
        let reference = try OCIReference(registry.url())
        let v1 = try world.publish(version: 1)

        // First push: every file and the empty config uploaded; nothing to skip.
        var mark = await registry.mark()
        let first = try await OCIPusher.push(v1, to: reference, options: world.options())
        #expect(first.uploaded == v1.count + 1 && first.skipped == 0, "\(first)")
        #expect(first.requests == (await registry.requests(since: mark)).count, "the client counts what the registry logged")

        // The same tree as from the publisher's folder.
        let fromRegistry = await world.fetch(registry.url())
        let fromFolder = await CarrierWorld().fetch(world.bundle.path)
        let a = try #require(fromRegistry.snapshot, "\(fromRegistry.summary)")
        let b = try #require(fromFolder.snapshot, "\(fromFolder.summary)")
        #expect(a.tree == b.tree)
        #expect(a.files.map { [$0.path, $0.sha256] } == b.files.map { [$0.path, $0.sha256] })
        #expect(a.files.map(\.bytes) == b.files.map(\.bytes))
        #expect(a.verified.digest == b.verified.digest && a.filesFetched == 5)

        // One file changed: its blob and the new index's are uploaded, nothing else is asked for.
        let v2 = try world.publish(version: 2, tree: sampleTree(amon: "strict"))
        let names = Self.names(v1 + v2)
        mark = await registry.mark()
        let second = try await OCIPusher.push(v2, to: reference, options: world.options())
        let pushed = Self.describe(await registry.requests(since: mark), names: names)
        #expect(second.uploaded == 2 && second.skipped == 5 && second.requests == pushed.count, "\(second)")
        let amon = "tree/releases/2.7.1/servermodels/amon.yml"
        #expect(Set(pushed.filter { $0.hasPrefix("HEAD") }) == ["HEAD /v2/zm/eole/blobs/\(amon) 404", "HEAD /v2/zm/eole/blobs/index.json 404"],
                "\(pushed)")
        #expect(pushed.count == 8, "GET manifest, HEAD+POST+PUT for 2 blobs, PUT manifest: \(pushed)")
        #expect(pushed.first == "GET /v2/zm/eole/manifests/latest 200" && pushed.last == "PUT /v2/zm/eole/manifests/latest 201")

        // The instance that holds version 1 downloads that one blob (the index is in the manifest).
        mark = await registry.mark()
        let update = await world.fetch(registry.url(), installed: fromRegistry.installed)
        let fetched = Self.describe(await registry.requests(since: mark), names: names)
        let snapshot = try #require(update.snapshot, "\(update.summary)")
        #expect(snapshot.verified.index.version == 2 && snapshot.filesFetched == 1)
        #expect(fetched == ["GET /v2/zm/eole/manifests/latest 200", "GET /v2/zm/eole/blobs/\(amon) 200"])

        // Nothing new: one request, the manifest.
        mark = await registry.mark()
        let again = await world.fetch(registry.url(), installed: update.installed)
        #expect(again.isUnchanged, "\(again.summary)")
        #expect(Self.describe(await registry.requests(since: mark), names: names) == ["GET /v2/zm/eole/manifests/latest 200"])
    }

    @Test func rootsAreLayersAndTheNextAbsentRootCostsNoRequest() async throws {
        let registry = try Registry()
        let world = CarrierWorld()
        let rootKey = try PrivateKey(seed: Data(repeating: 9, count: 32))
        func root(_ version: Int) throws -> [UInt8] {
            let document = RootDocument(source: "eole", version: version, expires: world.now.addingTimeInterval(365 * 86400),
                                        root: .init(keys: [rootKey.publicKey], threshold: 1), index: .init(keys: [PublisherKey.key.publicKey], threshold: 1))
            return [UInt8](try Envelope.sign(payload: document.encoded(), payloadType: Envelope.rootPayloadType, keys: [rootKey]).encoded())
        }
        let roots: [(path: String, bytes: [UInt8])] = [("root/1.json", try root(1)), ("root/2.json", try root(2))]
        let files = roots + (try world.publish(version: 1))
        _ = try await OCIPusher.push(files, to: try OCIReference(registry.url()), options: world.options())
        let pinned = try TrustedRoot.pinned(Data(roots[0].bytes), file: "eole.root.json")

        var mark = await registry.mark()
        let first = await world.fetch(registry.url(), pinned: pinned, stored: nil)
        #expect(first.outcome.snapshot != nil && first.root?.root.version == 2, "\(first.outcome.summary)")
        let names = Self.names(files)
        let requests = Self.describe(await registry.requests(since: mark), names: names)
        #expect(requests.prefix(2) == ["GET /v2/zm/eole/manifests/latest 200", "GET /v2/zm/eole/blobs/root/2.json 200"] && requests.count == 7,
                "the manifest, root 2, five files; no request for root 3: \(requests)")

        mark = await registry.mark()
        let again = await world.fetch(registry.url(), pinned: pinned, stored: first.root?.root, installed: first.outcome.installed)
        #expect(again.outcome.isUnchanged && again.root == nil, "\(again.outcome.summary)")
        #expect((await registry.requests(since: mark)).count == 1)
    }

    @Test func aTamperedBlobIsRejectedForItsDigest() async throws {
        let (registry, world, files, _) = try await Self.pushedVersion1()
        let target = try #require(files.first { $0.path == "tree/releases/2.7.1/servermodels/eolebase.yml" })
        var altered = target.bytes
        altered[altered.count - 3] ^= 0x01
        try Data(altered).write(to: registry.blobData(OCIManifest.digest(of: target.bytes)))

        let outcome = await world.fetch(registry.url())
        let error = try #require(outcome.rejection, "\(outcome.summary)")
        #expect(error == .digestMismatch(path: "releases/2.7.1/servermodels/eolebase.yml", expected: SHA256Digest.hex(target.bytes),
                                         actual: SHA256Digest.hex(altered)))
    }

    @Test func aManifestWhoseLayerSizeLiesIsRejectedBeforeAnyDownload() async throws {
        let (registry, world, files, reference) = try await Self.pushedVersion1()
        var manifest = OCIManifest(bundle: files)
        let lying = try #require(manifest.layers.firstIndex { $0.title == "tree/versions/2.7.yml" })
        manifest.layers[lying].size += 1
        try await Self.put(manifest, reference, options: world.options())

        let mark = await registry.mark()
        let outcome = await world.fetch(registry.url())
        let size = try #require(files.first { $0.path == "tree/versions/2.7.yml" }?.bytes.count)
        #expect(outcome.rejection == .sizeMismatch(path: "versions/2.7.yml", declared: size, actual: "\(size + 1) according to the manifest of \(reference)"),
                "\(outcome.summary)")
        #expect((await registry.requests(since: mark)).map(\.method) == ["GET"], "only the manifest was read")
    }

    @Test func inlineIndexBytesThatDoNotMatchTheirDescriptorAreIgnored() async throws {
        let (registry, world, files, reference) = try await Self.pushedVersion1()
        var manifest = OCIManifest(bundle: files)
        let index = try #require(manifest.layers.firstIndex { $0.title == "index.json" })
        var forged = try #require(manifest.layers[index].inlineBytes)
        forged[forged.count / 2] ^= 0x01
        manifest.layers[index].data = Data(forged).base64EncodedString()
        try await Self.put(manifest, reference, options: world.options())

        let mark = await registry.mark()
        let outcome = await world.fetch(registry.url())
        #expect(outcome.snapshot?.filesFetched == 5, "\(outcome.summary)")
        let index64 = OCIManifest.digest(of: files.first { $0.path == "index.json" }!.bytes)
        #expect((await registry.requests(since: mark)).prefix(2).map(\.path) == ["/v2/zm/eole/manifests/latest", "/v2/zm/eole/blobs/" + index64],
                "the index read from its blob")
    }

    @Test func aMissingBlobMakesTheSourceUnavailable() async throws {
        let (registry, world, files, _) = try await Self.pushedVersion1()
        let gone = try #require(files.first { $0.path == "tree/releases/2.7.1/release.yml" })
        try FileManager.default.removeItem(at: registry.blobData(OCIManifest.digest(of: gone.bytes)).deletingLastPathComponent())

        let outcome = await world.fetch(registry.url())
        guard case .notFound(let url)? = outcome.unavailability else {
            Issue.record("expected not-found, got \(outcome.summary)")
            return
        }
        #expect(url.hasSuffix("/v2/zm/eole/blobs/" + OCIManifest.digest(of: gone.bytes)))
    }

    @Test func anArtifactOfAnotherTypeOrAnAbsentTagIsUnavailable() async throws {
        let registry = try Registry()
        let world = CarrierWorld()
        let files = try world.publish(version: 1)
        let reference = try OCIReference(registry.url())

        let absent = await world.fetch(registry.url())
        #expect(absent.unavailability?.reason == "not-found", "\(absent.summary)")

        _ = try await OCIPusher.push(files, to: reference, options: world.options())
        var manifest = OCIManifest(bundle: files)
        manifest.artifactType = "application/vnd.example.other"
        try await Self.put(manifest, reference, options: world.options())
        let outcome = await world.fetch(registry.url())
        guard case .badArtifact(_, let problem)? = outcome.unavailability else {
            Issue.record("expected bad-artifact, got \(outcome.summary)")
            return
        }
        #expect(problem.contains("application/vnd.example.other") && problem.contains(OCIManifest.bundleArtifactType))
        // And the pusher does not overwrite what is not a bundle; publish says so as it says it of
        // any destination holding something else (exit 65), before any upload.
        await #expect(throws: OCIPusher.PushError.self) { try await OCIPusher.push(files, to: reference, options: world.options()) }
        let tree = world.folder.appendingPathComponent("tree")
        for (path, bytes) in sampleTree() {
            try FileManager.default.createDirectory(at: tree.appendingPathComponent(path).deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: tree.appendingPathComponent(path))
        }
        let request = BundleWriter.Request(source: "eole", keys: [PublisherKey.key], version: 2, expires: world.now.addingTimeInterval(86400),
                                           now: world.now, output: world.bundle)
        await #expect(throws: PublishError.notABundle(reference.description)) {
            _ = try await BundlePublisher.publish(tree: tree, request, to: .registry(reference), options: world.options())
        }
    }

    @Test func theTagIsResolvedOnceAndAnAbsentRootCostsNoRequest() async throws {
        let (registry, world, v1, reference) = try await Self.pushedVersion1()

        let transport = try OCITransport(reference: reference, options: world.options())
        let index = try await transport.fetch("index.json", maxBytes: 1 << 20)
        #expect([UInt8](index) == v1.first { $0.path == "index.json" }?.bytes)
        #expect(transport.requestCount == 1)
        await #expect(throws: FetchError.self) { try await transport.fetch("root/2.json", maxBytes: 1 << 20) }
        #expect(transport.requestCount == 1, "a file the manifest does not list costs no request")

        // The tag moves to version 2: this transport still reads version 1's files.
        _ = try await OCIPusher.push(try world.publish(version: 2, tree: sampleTree(amon: "strict")), to: reference, options: world.options())
        let amon = try await transport.fetch("tree/releases/2.7.1/servermodels/amon.yml", maxBytes: 1 << 20)
        #expect([UInt8](amon) == v1.first { $0.path == "tree/releases/2.7.1/servermodels/amon.yml" }?.bytes)
        #expect(transport.requestCount == 2)
        // Longer than asked: one byte more, without a request.
        #expect(try await transport.fetch("tree/versions/2.7.yml", maxBytes: 3).count == 4)
        #expect(transport.requestCount == 2)
        await transport.shutdown()
    }

    @Test func thePusherRefusesAnOlderVersionAndRepushingTheSameBundleUploadsNothing() async throws {
        let registry = try Registry()
        let world = CarrierWorld()
        let reference = try OCIReference(registry.url())
        let v1 = try world.publish(version: 1)
        let v2 = try world.publish(version: 2, tree: sampleTree(amon: "strict"))
        _ = try await OCIPusher.push(v2, to: reference, options: world.options())

        await #expect(throws: OCIPusher.PushError.versionNotGreater(reference: reference.description, existing: 2, requested: 1)) {
            try await OCIPusher.push(v1, to: reference, options: world.options())
        }
        let mark = await registry.mark()
        let again = try await OCIPusher.push(v2, to: reference, options: world.options())
        #expect(again.uploaded == 0 && again.skipped == v2.count + 1)
        #expect((await registry.requests(since: mark)).map(\.method) == ["GET", "PUT"], "the manifest read, and put again")
    }

    /// A registry holding version 1 of the sample bundle, pushed to the reference returned.
    static func pushedVersion1() async throws -> (Registry, CarrierWorld, [(path: String, bytes: [UInt8])], OCIReference) {
        let registry = try Registry()
        let world = CarrierWorld()
        let files = try world.publish(version: 1)
        let reference = try OCIReference(registry.url())
        _ = try await OCIPusher.push(files, to: reference, options: world.options())
        return (registry, world, files, reference)
    }

    /// Puts `manifest` by tag, as a publisher (or an attacker with push rights) could.
    static func put(_ manifest: OCIManifest, _ reference: OCIReference, options: TransportOptions) async throws {
        let client = try RegistryClient(reference: reference, options: options)
        let response = try await client.send(.PUT, client.url("manifests/" + reference.tag), headers: [("Content-Type", OCIManifest.mediaType)],
                                             body: [UInt8](manifest.encoded()), maxBytes: 0, access: .push)
        await client.shutdown()
        #expect(response.status == 201, "the registry took the manifest: \(String(decoding: response.body, as: UTF8.self))")
    }
}
