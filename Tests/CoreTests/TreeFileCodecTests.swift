import Testing
@testable import ZephirCore

/// The binary form of decoded files (the run's spill, the stores' outlines) gives back exactly what went in.
@Suite struct TreeFileCodecTests {
    static let files: [TreeFile] = [
        .version(Version(name: "2.7", label: "EOLE 2.7", endOfSupport: "2028-06-30")),
        .version(Version(name: "2.8", label: "", endOfSupport: nil)),
        .release(Release(name: "2.7.1", version: "2.7", status: .oldstable, date: "2025-01-31")),
        .service(release: "2.7.1", ApplicationService(name: "web", description: "Serveur web « é »", packages: ["apache2", "php"], depends: [])),
        .model(release: "2.7.1", ServerModel(name: "amon", description: "", parent: nil, services: [], variables: [])),
        .model(release: "2.7.1", ServerModel(name: "scribe", description: "Serveur pédagogique 😀", parent: "eolebase", services: ["web", "dns"], variables: [
            Variable(name: "port_ssh", type: .port, defaultValue: "2222", mandatory: true, description: "SSH"),
            Variable(name: "mode", type: .choice, defaultValue: "b", choices: ["a", "b", ""]),
            Variable(name: "vide", type: .string, defaultValue: "", description: String(repeating: "x", count: 300)),
            Variable(name: "rien", type: .ip),
        ])),
    ]

    @Test(arguments: files)
    func roundTrips(_ file: TreeFile) throws {
        #expect(try TreeFileCodec.decode(TreeFileCodec.encode(file)) == file)
    }

    @Test func refusesTruncatedAndTrailingBytes() {
        let bytes = TreeFileCodec.encode(Self.files[5])
        for count in [0, 1, bytes.count / 2, bytes.count - 1] {
            #expect(throws: TreeFileCodec.Malformed.self) { try TreeFileCodec.decode(Array(bytes.prefix(count))) }
        }
        #expect(throws: TreeFileCodec.Malformed.self) { try TreeFileCodec.decode(bytes + [0]) }
        #expect(throws: TreeFileCodec.Malformed.self) { try TreeFileCodec.decode([9]) }
    }

    @Test func outlinesRoundTripWithoutVariables() throws {
        let entries = Self.files.enumerated().map { i, file in
            LayerOutline.Entry(file: BundleIndex.File(path: "f\(i).yml", sha256: String(repeating: "a", count: 64), size: i * 1000),
                               outline: LayerOutline.outline(of: file))
        }
        let outline = LayerOutline(digest: String(repeating: "b", count: 64), entries: entries)
        let back = try LayerOutline(decoding: outline.encoded())
        #expect(back.digest == outline.digest)
        #expect(back.entries.map(\.file) == entries.map(\.file))
        #expect(back.entries.map(\.outline) == entries.map(\.outline))
        guard case .model(_, let scribe) = back.entries[5].outline else { Issue.record("not a model"); return }
        #expect(scribe.variables.isEmpty && scribe.services == ["web", "dns"] && scribe.parent == "eolebase")
        #expect(throws: TreeFileCodec.Malformed.self) { try LayerOutline(decoding: Array(outline.encoded().dropLast())) }
    }
}
