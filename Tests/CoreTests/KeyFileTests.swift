import Foundation
import Testing
@testable import ZephirCore
import ZephirTestSupport

@Suite struct KeyFileTests {
    @Test func writesThePrivateKeyWithMode0600AndReadsItBack() throws {
        let prefix = temporaryFolder().appendingPathComponent("k").path
        let key = PrivateKey()
        try key.write(prefix: prefix)
        let mode = try FileManager.default.attributesOfItem(atPath: prefix + ".key")[.posixPermissions] as! NSNumber
        #expect(mode.intValue == 0o600)
        #expect(try PrivateKey(contentsOf: prefix + ".key").seed == key.seed)
        #expect(try PublicKey(contentsOf: prefix + ".pub") == key.publicKey)
    }

    @Test(arguments: [0o640, 0o604, 0o644])
    func refusesAPrivateKeyOthersCanRead(mode: Int) throws {
        let prefix = temporaryFolder().appendingPathComponent("k").path
        try PrivateKey().write(prefix: prefix)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: prefix + ".key")
        #expect(throws: KeyError.insecurePermissions(path: prefix + ".key", mode: mode)) { try PrivateKey(contentsOf: prefix + ".key") }
    }

    @Test func neverOverwritesAKey() throws {
        let prefix = temporaryFolder().appendingPathComponent("k").path
        try PrivateKey().write(prefix: prefix)
        #expect(throws: KeyFileExists.self) { try PrivateKey().write(prefix: prefix) }
    }
}
