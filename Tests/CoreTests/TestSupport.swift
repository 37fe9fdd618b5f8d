import Foundation
@testable import ZephirCore
import ZephirTestSupport

/// Writes `files` (relative path → text) under a new temporary folder.
func writeTree(_ files: [String: String]) -> URL {
    let root = temporaryFolder("tree")
    for (path, text) in files {
        let url = root.appendingPathComponent(path)
        try! FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: url)
    }
    return root
}

/// The hand-written fixture tree, copied so a test may change it.
func fixtureTree() -> URL {
    let source = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("tree-eole")
    let copy = temporaryFolder("fixture")
    try? FileManager.default.removeItem(at: copy)
    try! FileManager.default.copyItem(at: source, to: copy)
    return copy
}

/// Decodes one file, returning its error's problem (or nil when it decodes).
func decodeProblem(_ path: String, _ text: String) -> TreeError.Problem? {
    do {
        _ = try TreeFileDecoder().decode(path: path, bytes: Array(text.utf8))
        return nil
    } catch {
        return error.problem
    }
}

func decodeError(_ path: String, _ text: String) -> TreeError? {
    do {
        _ = try TreeFileDecoder().decode(path: path, bytes: Array(text.utf8))
        return nil
    } catch {
        return error
    }
}

/// A valid model file with one variable whose lines are `variable`.
func modelWithVariable(_ variable: String) -> String {
    "name: amon\nvariables:\n  v:\n" + variable.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n") + "\n"
}

let modelPath = "releases/2.7.1/servermodels/amon.yml"
