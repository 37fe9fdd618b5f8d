import Foundation
import Testing
@testable import ZephirCore

/// A conflict's JSON (SPEC §7 last paragraph): its fields flattened beside `detail`, only those set.
@Suite struct ConflictCodingTests {
    func json(_ conflict: Conflict) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(conflict), as: UTF8.self)
    }

    @Test func fieldsSitBesideDetailAndDecodeBack() throws {
        let conflict = Conflict(kind: .danglingReference, subject: "2.7.1/b", sources: ["eole"], detail: "model 2.7.1/b: its parent 2.7.1/gone is not in force",
                                fields: .init(missing: Conflict.Reference(.parent, "2.7.1/gone")))
        let text = try json(conflict)
        #expect(text == #"{"detail":"model 2.7.1/b: its parent 2.7.1/gone is not in force","kind":"dangling-reference","missing":{"kind":"parent","name":"2.7.1/gone"},"severity":"error","sources":["eole"],"subject":"2.7.1/b"}"#)
        #expect(try JSONDecoder().decode(Conflict.self, from: Data(text.utf8)) == conflict)
    }

    @Test func aConflictWithoutFieldsHasOnlyItsFiveKeys() throws {
        let conflict = Conflict(kind: .nameCollision, subject: "2.7.1/x", sources: ["eole"], detail: "collides")
        #expect(try json(conflict) == #"{"detail":"collides","kind":"name-collision","severity":"error","sources":["eole"],"subject":"2.7.1/x"}"#)
        // A report written before the fields existed (an outbox payload) still decodes.
        #expect(try JSONDecoder().decode(Conflict.self, from: Data(try json(conflict).utf8)).fields.isEmpty)
    }

    @Test func storedConflictsNestTheConflictWithItsFields() throws {
        let stored = StoredConflict(id: 7, run: 3, acknowledged: false,
                                    conflict: Conflict(kind: .sourceRejected, subject: "acme", sources: ["acme"], detail: "d", fields: .init(reason: "rollback")))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let object = try JSONSerialization.jsonObject(with: try encoder.encode(stored)) as? [String: Any]
        #expect((object?["conflict"] as? [String: Any])?["reason"] as? String == "rollback")
    }
}
