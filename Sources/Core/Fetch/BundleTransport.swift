import Foundation

/// Reads the files of one bundle location; a bundle is `index.json` plus `tree/…`.
///
/// A transport never returns more than `maxBytes + 1` bytes: the extra byte tells the caller
/// that the file is longer than it may be, without reading the rest.
public protocol BundleTransport: Sendable {
    /// Where the bundle is, for messages.
    var location: String { get }
    /// The bytes of `relativePath` (`index.json` or `tree/…`), at most `maxBytes + 1` of them.
    func fetch(_ relativePath: String, maxBytes: Int) async throws(FetchError) -> Data
    /// Called once the index has verified, before any `tree/…` file is fetched: `files` is every
    /// file the index lists, `needed` the paths (as in the index, without `tree/`) that will be
    /// fetched. A carrier that can only be read in order (an archive) reads and checks the rest
    /// of the bundle here; the others have nothing to do.
    /// - Throws: ``TrustError`` when the carrier holds what the index does not allow,
    ///   ``FetchError`` when it cannot be read.
    func prepare(files: [BundleIndex.File], needed: Set<String>) async throws
    /// Releases connections; the transport is not used afterwards.
    func shutdown() async
}

extension BundleTransport {
    public func prepare(files: [BundleIndex.File], needed: Set<String>) async throws {}
}

/// Options of network transports.
public struct TransportOptions: Sendable, Hashable {
    public var connectTimeout: Duration = .seconds(10)
    /// The longest a whole response may take, body included (a slow drip is cut off).
    public var requestTimeout: Duration = .seconds(120)
    /// The longest the server may stay silent while an answer is awaited or read.
    public var readTimeout: Duration = .seconds(30)
    public var maxRedirects = 5
    /// A PEM file of certificate authorities to trust instead of the system's.
    public var caFile: String?
    /// A docker `config.json` with the credentials of an OCI registry (`auths` by host).
    public var authFile: String?

    public init(connectTimeout: Duration = .seconds(10), requestTimeout: Duration = .seconds(120), readTimeout: Duration = .seconds(30),
                maxRedirects: Int = 5, caFile: String? = nil) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.readTimeout = readTimeout
        self.maxRedirects = maxRedirects
        self.caFile = caFile
    }
}

/// Chooses the transport for a URL: an archive (`.tar`, `.tar.gz`) by its suffix, else by its scheme.
public enum Transports {
    /// - Throws: ``FetchError/unsupportedURL(_:)`` for other schemes.
    public static func make(for url: String, options: TransportOptions = TransportOptions()) throws(FetchError) -> any BundleTransport {
        // First: an archive is one file, whatever carries it.
        if ArchiveTransport.isArchive(url) {
            return try ArchiveTransport(url: url, options: options)
        }
        if url.hasPrefix("file:") {
            return FileTransport(root: URL(fileURLWithPath: FileTransport.path(of: url)))
        }
        if url.hasPrefix("https://") || url.hasPrefix("http://") {
            return try HTTPTransport(base: url, options: options)
        }
        if url.hasPrefix("oci://") || url.hasPrefix("oci+http://") {
            guard let reference = try? OCIReference(url) else { throw .unsupportedURL(url) }
            return try OCITransport(reference: reference, options: options)
        }
        if !url.contains(":") {
            return FileTransport(root: URL(fileURLWithPath: url))
        }
        throw .unsupportedURL(url)
    }
}
