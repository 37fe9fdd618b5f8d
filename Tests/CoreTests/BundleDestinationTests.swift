import Foundation
import Testing
@testable import ZephirCore

/// `publish --out` is read as the carriers read the same name back (SPEC §5.2): an archive
/// by its suffix in any case, a registry by its scheme, a folder otherwise.
struct BundleDestinationTests {
    @Test(arguments: [
        ("out/eole-1.tar.gz", BundleDestination.archive(URL(fileURLWithPath: "out/eole-1.tar.gz"), gzip: true)),
        ("out/EOLE-1.TAR.GZ", .archive(URL(fileURLWithPath: "out/EOLE-1.TAR.GZ"), gzip: true)),
        ("out/eole-1.tar", .archive(URL(fileURLWithPath: "out/eole-1.tar"), gzip: false)),
        ("file:/media/usb/Eole.Tar", .archive(URL(fileURLWithPath: "/media/usb/Eole.Tar"), gzip: false)),
        ("out/eole", .folder(URL(fileURLWithPath: "out/eole"))),
        ("out/eole.tgz", .folder(URL(fileURLWithPath: "out/eole.tgz"))),
    ])
    func anOutputIsWhatTheCarriersReadBack(_ out: String, _ expected: BundleDestination) throws {
        #expect(try BundleDestination(out) == expected)
        if case .archive = expected { #expect(ArchiveTransport.isArchive(out)) } else { #expect(!ArchiveTransport.isArchive(out)) }
    }

    @Test func aRegistryByItsScheme() throws {
        #expect(try BundleDestination("oci+http://127.0.0.1:5000/zm/eole:2") == .registry(try OCIReference("oci+http://127.0.0.1:5000/zm/eole:2")))
        #expect(throws: OCIReference.Invalid.self) { try BundleDestination("oci://") }
    }
}
