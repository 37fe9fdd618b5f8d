import FakeSource
import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

/// The event decoder of model files gives the strict path's answers: the same model when it
/// takes a file, and it never takes a file the strict path refuses.
@Suite struct ModelEventDecoderTests {
    static let path = "releases/2.7.1/servermodels/amon.yml"

    /// What the strict path says of `text`, and what the event decoder says.
    static func both(_ bytes: [UInt8], path: String = path, limits: YAMLLimits = .default) -> (strict: Result<TreeFile, TreeError>, fast: ServerModel?) {
        var strict = TreeFileDecoder(limits: limits)
        strict.decodesModelsFromEvents = false
        let result = Result { () throws(TreeError) in try strict.decode(path: path, bytes: bytes) }
        let name = String(path.split(separator: "/").last!.dropLast(4))
        return (result, ModelEventDecoder(limits: limits).decode(bytes, expected: name))
    }

    /// Fails unless the event decoder agrees with the strict path on `bytes`.
    static func expectAgreement(_ bytes: [UInt8], path: String = path, limits: YAMLLimits = .default, mustTake: Bool = false,
                                sourceLocation: SourceLocation = #_sourceLocation) {
        let (strict, fast) = both(bytes, path: path, limits: limits)
        let text = String(decoding: bytes, as: UTF8.self)
        switch (strict, fast) {
        case (.success(.model(_, let model)), let fast?):
            #expect(model == fast, "different models for:\n\(text)", sourceLocation: sourceLocation)
        case (.success, nil):
            #expect(!mustTake, "the event decoder left a valid file to the strict path:\n\(text)", sourceLocation: sourceLocation)
        case (.failure(let error), let fast?):
            Issue.record("the event decoder took a file the strict path refuses (\(error)): \(fast)\n\(text)", sourceLocation: sourceLocation)
        case (.failure, nil):
            break
        case (.success(let other), _):
            Issue.record("not a model: \(other)", sourceLocation: sourceLocation)
        }
        // The record path (a run that spills models) takes the same files and writes the same record.
        let parts = path.split(separator: "/").map(String.init)
        let record = ModelEventDecoder(limits: limits).record(bytes, release: parts[1], expected: String(parts[3].dropLast(4)))
        switch (strict, record) {
        case (.success(let file), let record?):
            #expect(record.record == TreeFileCodec.encode(file), "different records for:\n\(text)", sourceLocation: sourceLocation)
            #expect(TreeFile.model(release: parts[1], record.outline) == LayerOutline.outline(of: file), sourceLocation: sourceLocation)
        case (.failure(let error), let record?):
            Issue.record("the record path took a file the strict path refuses (\(error)): \(record.outline)\n\(text)", sourceLocation: sourceLocation)
        case (.success, nil):
            #expect(fast == nil, "the record path left a file the value path takes:\n\(text)", sourceLocation: sourceLocation)
        case (.failure, nil):
            break
        }
    }

    @Test func takesEveryGeneratedModel() throws {
        for parameters in [FakeTreeParameters(seed: 1, releases: 2, models: 30, variables: 60), FakeTreeParameters(seed: 9, releases: 1, models: 12, variables: 0)] {
            for file in FakeTreeGenerator.generate(parameters) where file.path.contains("/servermodels/") {
                Self.expectAgreement(file.contents, path: file.path, mustTake: true)
            }
        }
        let fixtures = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        for path in try TreeLoader.listFiles(under: fixtures.appendingPathComponent("tree-eole")) where path.contains("/servermodels/") {
            Self.expectAgreement([UInt8](try Data(contentsOf: fixtures.appendingPathComponent("tree-eole/" + path))), path: path, mustTake: true)
        }
    }

    static let taken: [String] = [
        "name: amon\n",
        "name: amon\nvariables:\n",
        "name: amon\nvariables: ~\nservices: null\n",
        "name: amon\nservices: [web, 'dns']\nparent: base\ndescription: 12\n",
        "{name: amon, variables: {a: {type: string}, b: {type: integer, default: -0012}}}",
        "name: \"amon\"\nvariables:\n  a: {type: port, default: 0x1F90}\n  b: {type: boolean, default: True, mandatory: FALSE}\n",
        "name: amon\nvariables:\n  a: {type: choice, choices: [x, 'y', \"\"], default: ''}\n  b: {type: string, default: 1.5e3}\n",
        "name: amon\nvariables:\n  a: {type: ip, default: ::1}\n  b: {type: network, default: 10.0.0.0/8}\n  c: {type: domain, default: a.fr, description: \"x: y\"}\n",
        "%YAML 1.1\n---\nname: amon\n...\n",
        "name: amon\nvariables:\n  a:\n    type: netmask\n    default: 255.255.255.0\n    mandatory: true\n    description: >\n      folded\n      text\n",
    ]

    static let refused: [String] = [
        "", "---\n", "name: amon\n---\nname: amon\n", "- a\n", "name: scribe\n", "name: amon\nparent: amon\n", "name: amon\nparent: Base\n",
        "name: amon\nname: amon\n", "name: amon\ncolour: red\n", "name: null\n", "name: true\n", "name: [amon]\n", "name: &a amon\n",
        "name: !!str amon\n", "name: amon\ndescription:\n", "name: amon\nservices: web\n", "name: amon\nservices: [web, web]\n",
        "name: amon\nservices: [Web]\n", "name: amon\nservices: [[web]]\n", "name: amon\nvariables: []\n", "name: amon\nvariables: 3\n",
        "name: amon\nvariables:\n  a: {}\n", "name: amon\nvariables:\n  a: string\n", "name: amon\nvariables:\n  A: {type: string}\n",
        "name: amon\nvariables:\n  a: {type: string}\n  a: {type: integer}\n", "name: amon\nvariables:\n  a: {type: colour}\n",
        "name: amon\nvariables:\n  a: {type: string, type: string}\n", "name: amon\nvariables:\n  a: {type: string, colour: red}\n",
        "name: amon\nvariables:\n  a: {type: choice}\n", "name: amon\nvariables:\n  a: {type: choice, choices: []}\n",
        "name: amon\nvariables:\n  a: {type: choice, choices: ~}\n", "name: amon\nvariables:\n  a: {type: choice, choices: [x, x]}\n",
        "name: amon\nvariables:\n  a: {type: string, choices: [x]}\n", "name: amon\nvariables:\n  a: {type: choice, choices: [x], default: y}\n",
        "name: amon\nvariables:\n  a: {type: integer, default: '12'}\n", "name: amon\nvariables:\n  a: {type: port, default: 70000}\n",
        "name: amon\nvariables:\n  a: {type: boolean, default: 'true'}\n", "name: amon\nvariables:\n  a: {type: ip, default: true}\n",
        "name: amon\nvariables:\n  a: {type: string, default: ~}\n", "name: amon\nvariables:\n  a: {type: string, default: [x]}\n",
        "name: amon\nvariables:\n  a: {type: string, mandatory: 'true'}\n", "name: amon\nvariables:\n  a: {type: string, mandatory: 1}\n",
        "name: amon\nvariables:\n  a: {type: ip, default: 300.1.1.1}\n", "name: amon\nvariables:\n  a: {type: string, description: null}\n",
        "name: amon\nvariables:\n  a: &x {type: string}\n", "name: amon\nvariables:\n  a: *x\n", "name: amon\n  bad indent: [\n",
        "name: amon\nvariables:\n  ? [a]\n  : {type: string}\n", "name: amon\nvariables:\n  a: !!map {type: string}\n",
    ]

    @Test(arguments: taken)
    func takesValidFiles(_ text: String) {
        Self.expectAgreement(Array(text.utf8), mustTake: true)
    }

    @Test(arguments: refused)
    func leavesInvalidFilesToTheStrictPath(_ text: String) {
        let (strict, fast) = Self.both(Array(text.utf8))
        #expect(fast == nil)
        guard case .failure = strict else { Issue.record("valid after all: \(text)"); return }
    }

    @Test func agreesUnderTightLimits() {
        let text = Array("name: amon\nservices: [web]\nvariables:\n  a: {type: choice, choices: [x, y]}\n  b: {type: string, description: \(String(repeating: "z", count: 40))}\n".utf8)
        for limits in [YAMLLimits(maxDepth: 3), YAMLLimits(maxDepth: 4), YAMLLimits(maxScalarBytes: 39), YAMLLimits(maxScalarBytes: 40),
                       YAMLLimits(maxNodes: 19), YAMLLimits(maxNodes: 20), YAMLLimits(maxNodes: 21), YAMLLimits(maxDocumentBytes: text.count - 1)] {
            Self.expectAgreement(text, limits: limits)
        }
    }

    /// Random edits of generated models: lines dropped, doubled, swapped, bytes changed to YAML's
    /// special characters. Whatever comes out, the two paths agree.
    @Test func agreesOnMutatedModels() {
        var random = SplitMix(seed: 0x5eed)
        let files = FakeTreeGenerator.generate(FakeTreeParameters(seed: 3, releases: 1, models: 12, variables: 25))
            .filter { $0.path.contains("/servermodels/") }
        let specials = Array(":-?[]{},#&*!|>'\"%@` \n\t~0.".utf8)
        var taken = 0
        for round in 0..<1500 {
            let file = files[round % files.count]
            var lines = String(decoding: file.contents, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for _ in 0...(random.next() % 3) {
                let i = Int(random.next() % UInt64(lines.count))
                switch random.next() % 5 {
                case 0: lines.remove(at: i)
                case 1: lines.insert(lines[i], at: i)
                case 2: lines.swapAt(i, Int(random.next() % UInt64(lines.count)))
                default:
                    var bytes = Array(lines[i].utf8)
                    if !bytes.isEmpty { bytes[Int(random.next() % UInt64(bytes.count))] = specials[Int(random.next() % UInt64(specials.count))] }
                    lines[i] = String(decoding: bytes, as: UTF8.self)
                }
                if lines.isEmpty { lines = [""] }
            }
            let bytes = Array(lines.joined(separator: "\n").utf8)
            Self.expectAgreement(bytes, path: file.path)
            if Self.both(bytes, path: file.path).fast != nil { taken += 1 }
        }
        #expect(taken > 100, "the mutations should leave many files valid: \(taken)")
    }
}

extension ModelEventDecoderTests {
    @Test func readsEveryTypeName() {
        let names = VariableType.allCases.map(\.rawValue) + ["", "s", "ip4", "i", "net", "netmasks", "Network", "STRING", "choicé", "port "]
        for name in names {
            let text = "name: amon\nvariables:\n  a: {type: \"\(name)\"\(name == "choice" ? ", choices: [x]" : "")}\n"
            Self.expectAgreement(Array(text.utf8), mustTake: VariableType(rawValue: name) != nil)
        }
    }
}
