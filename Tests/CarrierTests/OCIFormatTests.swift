import Foundation
import Testing
@testable import ZephirCore

/// The pieces of the OCI carrier that need no server: the artifact's manifest, the
/// `WWW-Authenticate` challenge, docker's `config.json`.
@Suite struct OCIFormatTests {
    static let files: [(path: String, bytes: [UInt8])] = [
        ("root/1.json", Array("{\"root\": 1}".utf8)),
        ("index.json", Array("{\"payload\": \"x\"}".utf8)),
        ("tree/versions/2.7.yml", Array("name: \"2.7\"\n".utf8)),
    ]

    /// The problem `parse` finds in `manifest`'s JSON, or nil.
    static func problem(_ manifest: OCIManifest) -> String? { problem(manifest.encoded()) }

    static func problem(_ json: Data) -> String? {
        do { _ = try OCIManifest.parse(json, url: "oci://r/x:t"); return nil } catch {
            guard case .badArtifact(_, let problem) = error else { return "\(error)" }
            return problem
        }
    }

    @Test func theManifestOfABundleIsTheArtifactOfSPEC52() throws {
        let manifest = OCIManifest(bundle: Self.files)
        let parsed = try OCIManifest.parse(manifest.encoded(), url: "oci://r/x:t")
        #expect(parsed == manifest)
        #expect(parsed.mediaType == "application/vnd.oci.image.manifest.v1+json" && parsed.artifactType == "application/vnd.zephir-models.bundle.v1")
        #expect(parsed.config == OCIManifest.emptyConfig && OCIManifest.digest(of: OCIManifest.emptyConfigBytes) == OCIManifest.emptyConfig.digest)
        #expect(parsed.layers.map(\.title) == ["root/1.json", "index.json", "tree/versions/2.7.yml"])
        for (layer, file) in zip(parsed.layers, Self.files) {
            #expect(layer.digest == "sha256:" + SHA256Digest.hex(file.bytes) && layer.size == file.bytes.count)
        }
        // Only the index is inline, and its inline bytes are checked against the descriptor.
        #expect(parsed.layers.map { $0.data != nil } == [false, true, false])
        #expect(parsed.layersByTitle["index.json"]?.inlineBytes == Self.files[1].bytes)
        var lying = parsed.layersByTitle["index.json"]!
        lying.data = Data("{\"payload\": \"y\"}".utf8).base64EncodedString()
        #expect(lying.inlineBytes == nil, "same size, other digest")
        lying.data = Data("{}".utf8).base64EncodedString()
        #expect(lying.inlineBytes == nil, "other size")
        // The same files give the same bytes (and digest).
        #expect(OCIManifest(bundle: Self.files).encoded() == manifest.encoded())
        // A large index is not inline.
        let large = OCIManifest(bundle: [("index.json", [UInt8](repeating: 0x20, count: OCIManifest.maxInlineBytes + 1))])
        #expect(large.layers[0].data == nil)
    }

    @Test func aManifestThatIsNotABundleArtifactIsRefusedWithItsReason() throws {
        var manifest = OCIManifest(bundle: Self.files)
        #expect(Self.problem(manifest) == nil)

        manifest.mediaType = "application/vnd.docker.distribution.manifest.v2+json"
        #expect(Self.problem(manifest)?.contains("mediaType is 'application/vnd.docker.distribution.manifest.v2+json'") == true)
        manifest = OCIManifest(bundle: Self.files)
        manifest.artifactType = nil
        #expect(Self.problem(manifest)?.contains("artifactType is '(none)'") == true)
        manifest = OCIManifest(bundle: Self.files)
        manifest.config.mediaType = "application/vnd.oci.image.config.v1+json"
        #expect(Self.problem(manifest)?.contains("config's mediaType") == true)

        func withLayer(_ change: (inout OCIManifest.Descriptor) -> Void, at index: Int = 2) -> String? {
            var manifest = OCIManifest(bundle: Self.files)
            change(&manifest.layers[index])
            return Self.problem(manifest)
        }
        #expect(withLayer { $0.annotations = nil }?.contains("has no org.opencontainers.image.title annotation") == true)
        #expect(withLayer { $0.annotations = [OCIManifest.titleAnnotation: "index.json"] } == "two layers are titled 'index.json'")
        for unsafe in ["tree/../etc/passwd", "tree/etc/passwd", "tree/versions/../../x", "/etc/passwd", "root/01.json", "root/x.json", "tree/versions/.hidden",
                       "index.json/", "tree/versions/a%2Fb"] {
            #expect(withLayer { $0.annotations = [OCIManifest.titleAnnotation: unsafe] }?.contains("is titled '\(unsafe)', which is not") == true, "\(unsafe)")
        }
        #expect(withLayer { $0.digest = "sha512:" + String(repeating: "a", count: 128) }?.contains("bundle layers are sha256:HEX") == true)
        #expect(withLayer { $0.digest = "sha256:" + String(repeating: "A", count: 64) }?.contains("bundle layers are sha256:HEX") == true)
        #expect(withLayer { $0.size = -1 }?.contains("negative size") == true)
        #expect(withLayer({ $0.annotations = [OCIManifest.titleAnnotation: "tree/versions/2.8.yml"] }, at: 1) == "no layer is titled index.json")
        #expect(Self.problem(Data("{\"schemaVersion\": 2}".utf8))?.contains("not an OCI image manifest") == true)
        #expect(Self.problem(Data("<html>".utf8))?.contains("not JSON") == true)
    }

    @Test func thePusherRefusesFilesThatAreNotABundlesBeforeAnyRequest() async throws {
        let nowhere = try OCIReference("oci+http://127.0.0.1:9/zm/eole:latest")
        for path in ["tree/../x.yml", "other.txt", "index.json"] {
            await #expect(throws: OCIPusher.PushError.invalidFile(path)) {
                try await OCIPusher.push(Self.files + [(path, [1])], to: nowhere, options: TransportOptions())
            }
        }
        await #expect(throws: OCIPusher.PushError.noIndex("no file is named index.json")) {
            try await OCIPusher.push(Self.files.filter { $0.path != "index.json" }, to: nowhere, options: TransportOptions())
        }
    }

    @Test func challengesAreParsedAsRFC7235Says() throws {
        let bearer = try #require(RegistryChallenge(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:zm/eole:pull,push""#))
        #expect(bearer.scheme == "bearer" && bearer.realm == "https://auth.example/token" && bearer.service == "registry.example")
        #expect(bearer.scope == "repository:zm/eole:pull,push")
        let basic = try #require(RegistryChallenge(#"Basic realm="a \"quoted\" realm", charset=UTF-8"#))
        #expect(basic.scheme == "basic" && basic.realm == #"a "quoted" realm"# && basic.parameters["charset"] == "UTF-8")
        #expect(RegistryChallenge("   ") == nil)

        // A push asks once for pull,push even when the first challenge (a GET) names pull only.
        #expect(RegistryClient.scopes(needed: "repository:zm/eole:pull,push", challenged: "repository:zm/eole:pull") == ["repository:zm/eole:pull,push"])
        #expect(RegistryClient.scopes(needed: "repository:zm/eole:pull", challenged: nil) == ["repository:zm/eole:pull"])
        #expect(RegistryClient.scopes(needed: "repository:zm/eole:pull", challenged: "repository:zm/eole:pull,delete")
                == ["repository:zm/eole:pull", "repository:zm/eole:pull,delete"])
    }

    @Test func credentialsAreReadFromDockersConfigJSON() throws {
        func parse(_ json: String, registry: String = "registry.example:5000") throws(FetchError) -> RegistryCredentials? {
            try RegistryCredentials.parse(Data(json.utf8), file: "/etc/zm/config.json", registry: registry)
        }
        let auth = Data("alice:pa:ss".utf8).base64EncodedString()
        #expect(try parse(#"{"auths": {"registry.example:5000": {"auth": "\#(auth)"}}}"#)?.secret == .basic(username: "alice", password: "pa:ss"))
        #expect(try parse(#"{"auths": {"https://Registry.example:5000/v1/": {"username": "bob", "password": "pw"}}}"#)?.secret
                == .basic(username: "bob", password: "pw"))
        #expect(try parse(#"{"auths": {"registry.example:5000": {"identitytoken": "tok", "auth": "\#(auth)"}}}"#)?.secret == .identityToken("tok"))
        #expect(try parse(#"{"auths": {"registry.example": {"auth": "\#(auth)"}}}"#) == nil, "another port is another registry")
        #expect(try parse(#"{"auths": {"registry.example:5000": {}}, "credsStore": "secretservice"}"#) == nil)
        #expect(try parse(#"{"credHelpers": {}}"#) == nil)
        #expect(try parse(#"{"auths": {"registry.example:5000": {"auth": "\#(auth)"}}}"#)?.basicAuthorization == "Basic " + auth)

        #expect(throws: FetchError.badAuthFile(path: "/etc/zm/config.json", problem: "\"registry.example:5000\".auth is not base64 of USER:PASSWORD")) {
            try parse(#"{"auths": {"registry.example:5000": {"auth": "bm9jb2xvbg=="}}}"#)
        }
        #expect(throws: FetchError.self) { try parse("[1]") }
        #expect(throws: FetchError.self) { try parse(#"{"auths": []}"#) }
        #expect(throws: FetchError.self) { try parse(#"{"auths": {"registry.example:5000": {"username": "bob"}}}"#) }
        #expect(throws: FetchError.self) { try parse(#"{"auths": {"registry.example:5000": {"auth": 12}}}"#) }
    }
}
