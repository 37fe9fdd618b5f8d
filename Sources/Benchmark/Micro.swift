import Foundation
import ZephirCore

/// In-process measurements of one stage, for profiling (`valgrind --tool=callgrind`) without
/// the rest of a sync: `zephir-models-bench decode TREE` and `zephir-models-bench scan TREE`.
enum Micro {
    static func run(_ arguments: [String]) throws -> Bool {
        guard let mode = arguments.first, ["decode", "scan"].contains(mode) else { return false }
        guard arguments.count == 2 else { throw BenchError("usage: zephir-models-bench decode|scan TREE") }
        let tree = URL(fileURLWithPath: arguments[1])
        let start = DispatchTime.now().uptimeNanoseconds
        switch mode {
        case "scan":
            let scan = try Floor.scan(tree: tree)
            print("scanned \(scan.files) files, \(scan.bytes) bytes, \(scan.events) events", terminator: "")
        default:
            let paths = try TreeLoader.listFiles(under: tree)
            let files = paths.map { path in (path: path, bytes: [UInt8](FileManager.default.contents(atPath: tree.appendingPathComponent(path).path) ?? Data())) }
            let decoded = DispatchTime.now().uptimeNanoseconds
            let decoder = TreeFileDecoder()
            var variables = 0, bytes = 0
            for file in files {
                bytes += file.bytes.count
                if case .model(_, let model) = try decoder.decode(path: file.path, bytes: file.bytes) { variables += model.variables.count }
            }
            print(String(format: "read in %.3f s; ", Double(decoded - start) / 1e9), terminator: "")
            print("decoded \(files.count) files, \(bytes) bytes, \(variables) variables", terminator: "")
        }
        print(String(format: " in %.3f s", Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9))
        return true
    }
}
