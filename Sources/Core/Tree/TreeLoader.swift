import Foundation

/// Reads a datasource tree from a folder on disk: every file decoded, then the whole validated.
public struct TreeLoader: Sendable {
    public let decoder: TreeFileDecoder

    public init(decoder: TreeFileDecoder = TreeFileDecoder()) { self.decoder = decoder }

    /// The relative paths of every regular file under `root`, sorted.
    /// - Throws: ``TreeValidationError`` for symbolic links and unreadable folders.
    public static func listFiles(under root: URL) throws(TreeValidationError) -> [String] {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TreeValidationError([TreeError(file: root.path, .unreadable("no such folder; give the folder that holds versions/ and releases/"))])
        }
        guard let enumerator = fm.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey, .isDirectoryKey]) else {
            throw TreeValidationError([TreeError(file: root.path, .unreadable("the folder cannot be listed"))])
        }
        let prefix = root.standardizedFileURL.resolvingSymlinksInPath().path + "/"
        var files: [String] = []
        var errors: [TreeError] = []
        for case let url as URL in enumerator {
            let full = url.standardizedFileURL.resolvingSymlinksInPath().path
            let relative = full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : url.lastPathComponent
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey, .isDirectoryKey])
            if values?.isSymbolicLink == true || (try? fm.destinationOfSymbolicLink(atPath: url.path)) != nil {
                errors.append(TreeError(file: url.path.hasPrefix(prefix) ? String(url.path.dropFirst(prefix.count)) : url.path,
                                        .unexpectedFile("symbolic links are not allowed in a tree; copy the file instead")))
                enumerator.skipDescendants()
            } else if values?.isRegularFile == true {
                files.append(relative)
            }
        }
        if !errors.isEmpty { throw TreeValidationError(errors) }
        return files.sorted()
    }

    /// Reads and validates the tree under `root`.
    /// - Returns: the tree and its files with their bytes, sorted by path.
    /// - Throws: ``TreeValidationError`` with every problem found.
    public func load(from root: URL) throws(TreeValidationError) -> (tree: DatasourceTree, files: [(path: String, bytes: [UInt8])]) {
        let paths = try Self.listFiles(under: root)
        var tree = DatasourceTree()
        var files: [(path: String, bytes: [UInt8])] = []
        var errors: [TreeError] = []
        for path in paths {
            guard let data = FileManager.default.contents(atPath: root.appendingPathComponent(path).path) else {
                errors.append(TreeError(file: path, .unreadable("permission denied or vanished while reading")))
                continue
            }
            let bytes = [UInt8](data)
            do {
                tree.add(try decoder.decode(path: path, bytes: bytes))
                files.append((path, bytes))
            } catch {
                errors.append(error)
            }
        }
        if paths.isEmpty {
            errors.append(TreeError(file: root.path, .unreadable("the folder holds no file; a tree has versions/ and releases/")))
        }
        if errors.isEmpty { errors = TreeValidator.problems(in: tree) }
        if !errors.isEmpty { throw TreeValidationError(errors) }
        return (tree, files)
    }
}
