/// The text of a configuration with one `fake` source (signatures off), for the tests that run
/// syncs of generated trees in processes of their own.
/// - Parameters:
///   - database: the `database:` URL (quoted in the YAML).
///   - fake: the source's `fake:` options as a YAML flow mapping (`{seed: 1, models: 20}`).
///   - cache: the fetch cache, relative to the working directory of the sync (give an absolute
///     path when the sync runs in the test process, whose working directory is the package's).
public func fakeSourceConfig(database: String, fake: String, lockTimeout: String = "60s", cache: String = "cache") -> String {
    """
    database: "\(database)"
    cache: "\(cache)"
    lock_timeout: \(lockTimeout)
    sources:
      - name: fake
        kind: fake
        priority: 10
        fake: \(fake)
        signature: {policy: off}

    """
}
