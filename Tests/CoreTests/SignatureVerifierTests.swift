import Foundation
import Testing
@testable import ZephirCore

@Suite struct SignatureVerifierTests {
    let alice = PrivateKey(), bob = PrivateKey(), mallory = PrivateKey()
    let payload = Data("{\"spec\":1}".utf8)

    func envelope(_ keys: [PrivateKey]) throws -> Envelope { try Envelope.sign(payload: payload, keys: keys) }

    @Test func acceptsOneTrustedSignature() throws {
        #expect(try SignatureVerifier(trusted: [alice.publicKey]).verify(envelope([alice]), threshold: 1) == payload)
    }

    @Test func refusesAnUnsignedEnvelope() throws {
        #expect(throws: TrustError.unsigned) { try SignatureVerifier(trusted: [alice.publicKey]).verify(envelope([]), threshold: 1) }
    }

    @Test func refusesASignatureThatDoesNotVerify() throws {
        var e = try envelope([alice])
        e.payload = Base64.encode(Data("{\"spec\":2}".utf8))
        #expect(throws: TrustError.badSignature(keyIDs: [alice.publicKey.keyID])) {
            try SignatureVerifier(trusted: [alice.publicKey]).verify(e, threshold: 1)
        }
    }

    @Test func refusesAnUnknownKey() throws {
        #expect(throws: TrustError.unknownKey(keyIDs: [mallory.publicKey.keyID])) {
            try SignatureVerifier(trusted: [alice.publicKey]).verify(envelope([mallory]), threshold: 1)
        }
    }

    @Test func countsEachTrustedKeyOnceHoweverManySignaturesClaimIt() throws {
        let one = try envelope([alice])
        var duplicated = one
        duplicated.signatures = Array(repeating: one.signatures[0], count: 3)
        #expect(throws: TrustError.belowThreshold(valid: 1, required: 2)) {
            try SignatureVerifier(trusted: [alice.publicKey, bob.publicKey]).verify(duplicated, threshold: 2)
        }
        // Claiming bob's key id on alice's signature does not make it bob's.
        var relabelled = one
        relabelled.signatures.append(Envelope.Signature(keyid: bob.publicKey.keyID, sig: one.signatures[0].sig))
        #expect(throws: TrustError.belowThreshold(valid: 1, required: 2)) {
            try SignatureVerifier(trusted: [alice.publicKey, bob.publicKey]).verify(relabelled, threshold: 2)
        }
    }

    @Test func meetsAThresholdWithDistinctKeys() throws {
        #expect(try SignatureVerifier(trusted: [alice.publicKey, bob.publicKey]).verify(envelope([alice, bob]), threshold: 2) == payload)
        #expect(throws: TrustError.belowThreshold(valid: 1, required: 2)) {
            try SignatureVerifier(trusted: [alice.publicKey, bob.publicKey]).verify(envelope([alice, mallory]), threshold: 2)
        }
    }

    @Test func treatsTheKeyIDAsAHintOnly() throws {
        var e = try envelope([alice])
        e.signatures[0].keyid = "not-a-key-id"
        #expect(try SignatureVerifier(trusted: [alice.publicKey]).verify(e, threshold: 1) == payload)
    }

    @Test func refusesAnotherPayloadType() throws {
        var e = try envelope([alice])
        e.payloadType = "application/json"
        #expect(throws: TrustError.wrongPayloadType("application/json")) { try SignatureVerifier(trusted: [alice.publicKey]).verify(e, threshold: 1) }
    }
}
