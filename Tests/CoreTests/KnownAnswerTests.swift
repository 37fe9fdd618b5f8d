import Foundation
import Testing
@testable import ZephirCore

/// Pins the formats: if signing, key ids or PAE drift, these fail.
@Suite struct KnownAnswerTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let secret: String, publicKey: String, message: String, signature: String
        var testDescription: String { "RFC 8032 message of \(message.count / 2) bytes" }
    }

    // RFC 8032 §7.1, TEST 1, 2 and 3.
    static let vectors = [
        Vector(secret: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
               publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", message: "",
               signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
        Vector(secret: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
               publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", message: "72",
               signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
        Vector(secret: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
               publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", message: "af82",
               signature: "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
    ]

    @Test(arguments: vectors)
    func ed25519MatchesRFC8032(vector: Vector) throws {
        let key = try PrivateKey(seed: Hex.decode(vector.secret)!)
        #expect(Hex.encode(key.publicKey.raw) == vector.publicKey)
        let message = Hex.decode(vector.message)!
        // Ed25519 is deterministic: the signature is the RFC's, byte for byte.
        #expect(Hex.encode(try key.sign(message)) == vector.signature)
        #expect(key.publicKey.isValidSignature(Hex.decode(vector.signature)!, for: message))
        var tampered = message
        tampered.append(0)
        #expect(!key.publicKey.isValidSignature(Hex.decode(vector.signature)!, for: tampered))
    }

    @Test func paeMatchesTheDSSEVector() {
        // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world").
        let pae = PAE.encode(payloadType: "http://example.com/HelloWorld", payload: Data("hello world".utf8))
        #expect(String(decoding: pae, as: UTF8.self) == "DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    }

    @Test func keyIDIsTheSHA256OfTheRawKey() throws {
        let key = try PublicKey(raw: Hex.decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")!)
        #expect(key.keyID == "21fe31dfa154a261626bf854046fd2271b7bed4b6abe45aa58877ef47f9721b9")
        #expect(key.text == "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    }

    @Test func publicKeysAcceptStandardAndURLSafeBase64() throws {
        let standard = try PublicKey(text: "ed25519:11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", origin: "t")
        let urlSafe = try PublicKey(text: "ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\n", origin: "t")
        #expect(standard == urlSafe)
        #expect(throws: KeyError.self) { try PublicKey(text: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", origin: "t") }
        #expect(throws: KeyError.self) { try PublicKey(text: "ed25519:AAAA", origin: "t") }
    }
}
