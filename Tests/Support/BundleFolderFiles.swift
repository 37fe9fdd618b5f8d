import Foundation

/// The bundle folder's files in the order archives and registries carry them: `root/N.json`
/// by version, `index.json`, then `tree/…` by path.
public func bundleFolderFiles(_ folder: URL) throws -> [(path: String, bytes: [UInt8])] {
    var files: [(path: String, bytes: [UInt8])] = []
    var version = 1
    while let root = FileManager.default.contents(atPath: folder.appendingPathComponent("root/\(version).json").path) {
        files.append((path: "root/\(version).json", bytes: [UInt8](root)))
        version += 1
    }
    files.append((path: "index.json", bytes: [UInt8](try Data(contentsOf: folder.appendingPathComponent("index.json")))))
    let tree = folder.appendingPathComponent("tree")
    let paths = (FileManager.default.enumerator(atPath: tree.path)?.allObjects as? [String] ?? []).sorted()
    for path in paths {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: tree.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
        files.append((path: "tree/" + path, bytes: [UInt8](try Data(contentsOf: tree.appendingPathComponent(path)))))
    }
    return files
}
