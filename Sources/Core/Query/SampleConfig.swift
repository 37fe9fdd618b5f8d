/// The commented sample configuration `init` writes.
public enum SampleConfig {
    public static let text = """
    # zephir-models configuration (see docs/ and SPEC §6).
    # Relative paths of keys, ca_file and file: URLs are relative to this file's folder;
    # database and cache are relative to the working directory.

    # sqlite:PATH (embedded) or postgres://USER@HOST:5432/DB (production).
    database: sqlite:zephir-models.db

    # Fetched files, by SHA-256: a file already fetched is never downloaded again.
    cache: .zephir-models-cache

    # keep-last-good: a failing source keeps its last good content, the others apply.
    # abort: any failing source stops the whole run.
    on_source_failure: keep-last-good

    # Allowance for clocks when checking index expiry, and how long a run waits for another.
    clock_skew: 5m
    lock_timeout: 30s

    # The newest runs whose source layers `rollback --to` can restore; older ones are pruned.
    history: {keep_runs: 100}

    sources:
      # EOLE's official publications: versions, releases, services and models.
      - name: eole
        kind: eole
        url: https://eole.example.org/zephir/eole     # or http:// (signatures required), file:/path, FILE.tar.gz,
                                                       # oci://REGISTRY/REPOSITORY:TAG, or a list of mirrors:
                                                       # [https://mirror.ac-example.fr/eole/, https://eole.example.org/zephir/eole]
        priority: 100                                  # unique; higher wins
        signature:
          policy: required                             # required | warn | off
          threshold: 1                                 # distinct trusted keys that must sign
          keys: [keys/eole.pub]                        # files, or inline "ed25519:BASE64"
          # Or, when the publisher ships trust roots, pin its root instead of keys and threshold:
          # the publisher then rotates its keys without you (docs/operations.md, "Pinning a root").
          # root: keys/eole.root.json
        scope: ["*"]                                   # globs over RELEASE/NAME it may define

      # A vendor: adds models and services to EOLE's releases, within its scope.
      # - name: acme
      #   kind: external
      #   url: https://acme.example.com/zephir
      #   priority: 50
      #   signature: {policy: required, keys: [keys/acme.pub]}
      #   scope: ["2.7.*/acme-*"]
      #   ca_file: /etc/ssl/acme-ca.pem                # optional: trust this CA instead of the system's
      #   auth_file: /etc/zephir-models/registry.json   # for oci:// URLs: docker's config.json credentials

    # Where run reports go after a run that changed something (see docs/operations.md).
    # notify:
    #   - webhook: https://monitoring.example.org/zephir
    #   - command: /usr/local/bin/notify-admins

    """
}
