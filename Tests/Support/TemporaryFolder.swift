import Foundation

/// A new, empty folder `NAME-UUID` under the system's temporary directory; the caller removes it.
public func temporaryFolder(_ name: String = "zm") -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
