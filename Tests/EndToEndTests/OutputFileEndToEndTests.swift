import Foundation
import Testing
@testable import ZephirCore

/// Exit code 73 (SPEC §3): an output file of `keygen` or `publish` that cannot be written, with
/// a message naming it; the input errors stay 65.
@Suite struct OutputFileEndToEndTests {
    @Test func keygenAndPublishExit73WhenTheirOutputCannotBeWritten() async throws {
        let w = Workspace()
        try w.write("a-file", "not a folder\n")
        let keygen = try await w.cli.run(["keygen", "--out", "a-file/keys/eole"])
        #expect(keygen.code == 73)
        #expect(keygen.stderr.contains("a-file/keys: cannot write: Not a directory"), "\(keygen.stderr)")
        #expect(!keygen.stderr.contains("NSCocoaErrorDomain"), "a message for people, not a Foundation dump")

        #expect(try await w.cli.run(["keygen", "--out", "keys/eole"]).code == 0)
        let again = try await w.cli.run(["keygen", "--out", "keys/eole"])
        #expect(again.code == 73, "an existing key is an output that cannot be written")
        #expect(again.stderr.contains("keys/eole.key already exists"))

        #expect(try await w.cli.run(["fake", "generate", "tree", "--seed", "1", "--releases", "1", "--models", "2", "--variables", "2"]).code == 0)
        let publish = try await w.cli.run(["publish", "tree", "--source", "eole", "--key", "keys/eole.key", "--version", "1", "--expires", "30d",
                                     "--out", "a-file/bundle"])
        #expect(publish.code == 73)
        #expect(publish.stderr.contains("a-file: cannot write: "), "\(publish.stderr)")
        let badKey = try await w.cli.run(["publish", "tree", "--source", "eole", "--key", "a-file", "--version", "1", "--expires", "30d", "--out", "bundle"])
        #expect(badKey.code == 65, "an invalid key given on the command line stays 65")
    }
}
