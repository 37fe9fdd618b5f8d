import Crypto
import Foundation

/// SHA-256, as the bundle format uses it.
public enum SHA256Digest {
    public static func of<D: DataProtocol>(_ data: D) -> [UInt8] { Array(SHA256.hash(data: data)) }
    public static func hex<D: DataProtocol>(_ data: D) -> String { Hex.encode(SHA256.hash(data: data)) }
}
