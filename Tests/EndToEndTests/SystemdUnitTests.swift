import Foundation
import Testing
import ZephirTestSupport

/// The shipped systemd units (config/systemd/) and their drop-ins (`UNIT.d/*.conf`) pass
/// `systemd-analyze verify`, with their ExecStart pointed at the built binary (`.ci/run` installs
/// systemd when it is missing).
@Suite struct SystemdUnitTests {
    static let analyze = "/usr/bin/systemd-analyze"

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: analyze), "systemd-analyze is not installed (apt-get install systemd)"))
    func theShippedUnitsVerify() async throws {
        let source = ZephirExecutable.repository.appendingPathComponent("config/systemd")
        let units = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".service") || $0.hasSuffix(".timer") }.sorted()
        #expect(units == ["zephir-models-daemon.service", "zephir-models-sync.service", "zephir-models-sync.timer"])
        let folder = temporaryFolder("zm-units")
        defer { try? FileManager.default.removeItem(at: folder) }
        for unit in units {
            let text = try String(contentsOf: source.appendingPathComponent(unit), encoding: .utf8)
                .replacingOccurrences(of: "/usr/local/bin/zephir-models", with: ZephirExecutable.url.path)
            try Data(text.utf8).write(to: folder.appendingPathComponent(unit))
        }
        // Drop-ins are read from the unit path: the copies' folder, through SYSTEMD_UNIT_PATH.
        let dropIns = try FileManager.default.contentsOfDirectory(atPath: source.path).filter { $0.hasSuffix(".d") }
        #expect(dropIns == ["zephir-models-sync.service.d"])
        for dropIn in dropIns {
            try FileManager.default.createDirectory(at: folder.appendingPathComponent(dropIn), withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: source.appendingPathComponent(dropIn).path) where file.hasSuffix(".conf") {
                let text = try String(contentsOf: source.appendingPathComponent(dropIn).appendingPathComponent(file), encoding: .utf8)
                    .replacingOccurrences(of: "/usr/local/bin/zephir-models", with: ZephirExecutable.url.path)
                try Data(text.utf8).write(to: folder.appendingPathComponent(dropIn).appendingPathComponent(file))
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.analyze)
        process.arguments = ["verify"] + units.map { folder.appendingPathComponent($0).path }
        process.currentDirectoryURL = folder
        process.environment = ProcessInfo.processInfo.environment.merging(["SYSTEMD_UNIT_PATH": folder.path + ":"]) { _, new in new }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(!output.contains(".service:") && !output.contains(".timer:") && !output.contains(".conf:"), "\(output)")
    }
}
