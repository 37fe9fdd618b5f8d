import Foundation

extension Config {
    /// `sync --source NAME --from PATH_OR_URL` (SPEC §5.2): the configuration with one source
    /// read, for one run, from another place than its `url:` (a USB key at an air-gapped site, an
    /// archive, a registry). Everything else about the source, its signature policy first, stays.
    /// - Parameter base: what a relative path is relative to (the working directory).
    /// - Throws: ``ConfigError`` when the source is unknown or generated in process, the
    ///   location is not a URL or path, or it is plain HTTP for a source that does not require signatures.
    public func reading(source name: String, from location: String, base: URL) throws(ConfigError) -> Config {
        guard let index = sources.firstIndex(where: { $0.name == name }) else {
            throw ConfigError(file: file, "--from: no source is named '\(name)'; configured: \(sources.map(\.name).joined(separator: ", "))")
        }
        guard !sources[index].urls.isEmpty else {
            throw ConfigError(file: file, "--from: source '\(name)' is of kind \(sources[index].kind), generated in process: it is read from nowhere")
        }
        let url: String
        do { url = try ConfigLoader.normalizeURL(location, base: base) } catch { throw ConfigError(file: "--from", error.message) }
        if url.hasPrefix("http://") || url.hasPrefix("oci+http://"), sources[index].signature.mode != .required {
            throw ConfigError(file: file, "--from \(url): over plain http integrity comes from signatures alone, and source '\(name)' does not require them")
        }
        var config = self
        config.sources[index].urls = [url]
        return config
    }
}
