import Foundation

/// DSSE's Pre-Authentication Encoding: what a signature actually covers.
///
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII decimal of bytes.
public enum PAE {
    public static func encode(payloadType: String, payload: Data) -> Data {
        let type = Data(payloadType.utf8)
        var out = Data("DSSEv1 \(type.count) ".utf8)
        out.append(type)
        out.append(Data(" \(payload.count) ".utf8))
        out.append(payload)
        return out
    }
}
